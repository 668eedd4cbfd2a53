/*
 * dates.h -- calendar days and timestamps.
 *
 * A day is an int32_t count of days since 1970-01-01 in the run's day zone
 * (UTC by default; a fixed offset in seconds shifts the boundary, e.g.
 * +28800 for UTC+8).  Timestamps are int64_t epoch seconds (UTC).  Pure
 * arithmetic (Howard Hinnant's civil-from-days), no locale, no TZ variable,
 * so results are the same on every host.
 */
#ifndef DUALREC_DATES_H
#define DUALREC_DATES_H

#include <stdint.h>

#define DATES_DAY_SECONDS 86400

/* Days since 1970-01-01 for a proleptic Gregorian date. */
int32_t dates_from_civil(int y, int m, int d);
/* The civil date of day n. */
void dates_to_civil(int32_t n, int *y, int *m, int *d);

/* Parse "YYYY-MM-DD" (exactly); returns 0 or -1. */
int dates_parse_day(const char *s, int32_t *day);
/* Format day as "YYYY-MM-DD" into buf (at least 11 bytes); returns buf. */
char *dates_format_day(int32_t day, char *buf);

/* The day containing epoch second t for a zone offset (seconds east). */
static inline int32_t
dates_day_of(int64_t t, int32_t zone_offset)
{
    int64_t s = t + zone_offset;
    int64_t q = s / DATES_DAY_SECONDS;

    if (s % DATES_DAY_SECONDS < 0)
        q--;
    return (int32_t)q;
}

/* Epoch second at which day starts for a zone offset. */
static inline int64_t
dates_day_start(int32_t day, int32_t zone_offset)
{
    return (int64_t)day * DATES_DAY_SECONDS - zone_offset;
}

/* Hour of day 0..23 of epoch second t for a zone offset. */
static inline int
dates_hour_of(int64_t t, int32_t zone_offset)
{
    int64_t s = t + zone_offset - (int64_t)dates_day_of(t, zone_offset)
                                  * DATES_DAY_SECONDS;
    return (int)(s / 3600);
}

/* Weekday of day n, 0 = Monday .. 6 = Sunday. */
static inline int
dates_weekday(int32_t n)
{
    int w = (int)((n + 3) % 7);     /* 1970-01-01 was a Thursday */

    return w < 0 ? w + 7 : w;
}

/*
 * Parse a timestamp: epoch seconds ("1650000000"), epoch milliseconds
 * (13+ digits, or any value >= 1e11 is taken as ms), optional fraction
 * ("1650000000.5"), or ISO-8601 "YYYY-MM-DD", "YYYY-MM-DD[T ]hh:mm[:ss[.f]]"
 * with an optional zone "Z" / "+hh:mm" / "+hhmm" / "-hh"; a date or time
 * without a zone is read in the zone given by default_offset.
 * Returns 0 and sets *t (epoch seconds, fraction dropped), or -1.
 */
int dates_parse_time(const char *s, int32_t default_offset, int64_t *t);

/* Parse a zone offset "+08:00", "-0530", "UTC", "Z" into seconds east. */
int dates_parse_zone(const char *s, int32_t *offset);

#endif
