/*
 * dates.c -- civil dates and timestamp parsing (see dates.h).
 */
#include <ctype.h>
#include <string.h>

#include "dates.h"

int32_t
dates_from_civil(int y, int m, int d)
{
    int era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void
dates_to_civil(int32_t n, int *y, int *m, int *d)
{
    int32_t z = n + 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
days_in_month(int y, int m)
{
    static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 ? 28 + leap : dm[m - 1];
}

/* Read exactly n digits; returns the value or -1. */
static int
digits(const char **sp, int n)
{
    const char *s = *sp;
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *sp = s + n;
    return v;
}

static int
parse_ymd(const char **sp, int *y, int *m, int *d)
{
    const char *s = *sp;

    if ((*y = digits(&s, 4)) < 0 || *s++ != '-' || (*m = digits(&s, 2)) < 0
        || *s++ != '-' || (*d = digits(&s, 2)) < 0)
        return -1;
    if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    *sp = s;
    return 0;
}

int
dates_parse_day(const char *s, int32_t *day)
{
    int y, m, d;

    if (parse_ymd(&s, &y, &m, &d) < 0 || *s != '\0')
        return -1;
    *day = dates_from_civil(y, m, d);
    return 0;
}

char *
dates_format_day(int32_t day, char *buf)
{
    int y, m, d;

    dates_to_civil(day, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = 0;                  /* outside ISO-8601's 4 digits: 0000 */
    buf[0] = (char)('0' + y / 1000);
    buf[1] = (char)('0' + y / 100 % 10);
    buf[2] = (char)('0' + y / 10 % 10);
    buf[3] = (char)('0' + y % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + d / 10);
    buf[9] = (char)('0' + d % 10);
    buf[10] = '\0';
    return buf;
}

static int
parse_offset(const char **sp, int32_t *off)
{
    const char *s = *sp;
    int sign, h, mi = 0;

    if (*s == 'Z' || *s == 'z') {
        *off = 0;
        *sp = s + 1;
        return 0;
    }
    if (*s != '+' && *s != '-')
        return -1;
    sign = *s++ == '-' ? -1 : 1;
    if ((h = digits(&s, 2)) < 0 || h > 23)
        return -1;
    if (*s == ':')
        s++;
    if (isdigit((unsigned char)*s) && ((mi = digits(&s, 2)) < 0 || mi > 59))
        return -1;
    *off = sign * (h * 3600 + mi * 60);
    *sp = s;
    return 0;
}

int
dates_parse_zone(const char *s, int32_t *offset)
{
    if (strcmp(s, "UTC") == 0 || strcmp(s, "utc") == 0) {
        *offset = 0;
        return 0;
    }
    if (strncmp(s, "UTC", 3) == 0)
        s += 3;
    if (parse_offset(&s, offset) < 0 || *s != '\0')
        return -1;
    return 0;
}

static int
parse_epoch(const char *s, int64_t *t)
{
    int64_t v = 0;
    int nd = 0, neg = 0;

    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; isdigit((unsigned char)*s); s++, nd++) {
        if (nd >= 18)
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (nd == 0)
        return -1;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return -1;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s != '\0')
        return -1;
    if (v >= 100000000000LL)        /* >= 1e11: milliseconds (year 5138+ in s) */
        v /= 1000;
    *t = neg ? -v : v;
    return 0;
}

int
dates_parse_time(const char *s, int32_t default_offset, int64_t *t)
{
    int y, m, d, hh = 0, mm = 0, ss = 0;
    int32_t off = default_offset;
    const char *p = s;

    if (strlen(s) >= 10 && s[4] == '-') {
        if (parse_ymd(&p, &y, &m, &d) < 0)
            return -1;
        if (*p == 'T' || *p == 't' || *p == ' ') {
            p++;
            if ((hh = digits(&p, 2)) < 0 || *p++ != ':'
                || (mm = digits(&p, 2)) < 0 || hh > 23 || mm > 59)
                return -1;
            if (*p == ':') {
                p++;
                if ((ss = digits(&p, 2)) < 0 || ss > 60)
                    return -1;
                if (*p == '.' || *p == ',') {
                    p++;
                    if (!isdigit((unsigned char)*p))
                        return -1;
                    while (isdigit((unsigned char)*p))
                        p++;
                }
            }
        }
        if (*p != '\0' && parse_offset(&p, &off) < 0)
            return -1;
        if (*p != '\0')
            return -1;
        *t = (int64_t)dates_from_civil(y, m, d) * DATES_DAY_SECONDS
           + hh * 3600 + mm * 60 + ss - off;
        return 0;
    }
    return parse_epoch(s, t);
}
