/*
 * dualrec-ingest -- parse one day of CSV logs into a day segment
 * (<segments>/dt=D/segment.bin) and extend the id dictionaries.  All the
 * work is in src/ingest/ingest.c and src/ingest/logread.c; this file turns argv into
 * options, prints rejects, progress and the summary, and maps the result
 * to an exit code.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dates.h"
#include "ingest.h"
#include "rc.h"

static const char usage_text[] =
    "usage: dualrec-ingest --segments SEGROOT\n"
    "           (--date YYYY-MM-DD | --split-days [--from D] [--to D])\n"
    "           (--logs DAYDIR | --exposures F [--interactions F] [--items F]\n"
    "            [--follows F] [--users F])\n"
    "           [--zone +08:00] [--delimiter C] [--map COLUMN=NAME]...\n"
    "           [--const COLUMN=VALUE]... [--value-event EVENT:MIN]\n"
    "           [--max-reject-ratio R] [--max-field BYTES] [--rejects FILE]\n"
    "           [--show-rejects N] [-q|-v]\n"
    "Reads a day's logs (.csv, .csv.zst, or - for stdin) and writes\n"
    "SEGROOT/dt=D/segment.bin and the dictionaries in SEGROOT/dict/.\n"
    "  --split-days         a file of many days: one segment per day present\n"
    "                       (in --from..--to when given), each the same as\n"
    "                       an ingest of that day alone (rejects of the pass:\n"
    "                       SEGROOT/rejects-split.csv)\n"
    "  --from D, --to D     first and last day stored (imply --split-days)\n"
    "  --logs DAYDIR        find <table>.csv[.zst] in DAYDIR (exposures,\n"
    "                       interactions, items, follows, users)\n"
    "  --zone Z             day boundary and zone of zoneless times (UTC)\n"
    "  --delimiter C        field delimiter: ',' '\\t' ';' '|' (default: found\n"
    "                       from the header line)\n"
    "  --map C=NAME         read canonical column C from header column NAME\n"
    "  --const C=VALUE      every row has VALUE in column C (e.g. event=rate)\n"
    "  --value-event E:MIN  interactions with value >= MIN count as event E\n"
    "  --max-reject-ratio R fail (exit 65) when rejects > R * rows (0.01)\n"
    "  --max-field BYTES    longest accepted field (65536)\n"
    "  --rejects FILE       reject file (SEGROOT/dt=D/rejects.csv)\n"
    "  --show-rejects N     print the first N rejects (10)\n"
    "  -q, --quiet          only errors;  -v, --verbose  progress\n";

enum { O_SEG = 256, O_DATE, O_SPLIT, O_FROM, O_TO, O_LOGS, O_ZONE, O_DELIM, O_MAP, O_CONST, O_VEV, O_RATIO,
       O_MAXF, O_REJ, O_SHOW, O_TABLE };

static const struct option long_opts[] = {
    { "segments", required_argument, NULL, O_SEG },
    { "date", required_argument, NULL, O_DATE },
    { "split-days", no_argument, NULL, O_SPLIT },
    { "from", required_argument, NULL, O_FROM },
    { "to", required_argument, NULL, O_TO },
    { "logs", required_argument, NULL, O_LOGS },
    { "exposures", required_argument, NULL, O_TABLE + LOGREAD_EXPOSURES },
    { "interactions", required_argument, NULL,
      O_TABLE + LOGREAD_INTERACTIONS },
    { "items", required_argument, NULL, O_TABLE + LOGREAD_ITEMS },
    { "follows", required_argument, NULL, O_TABLE + LOGREAD_FOLLOWS },
    { "users", required_argument, NULL, O_TABLE + LOGREAD_USERS },
    { "zone", required_argument, NULL, O_ZONE },
    { "delimiter", required_argument, NULL, O_DELIM },
    { "map", required_argument, NULL, O_MAP },
    { "const", required_argument, NULL, O_CONST },
    { "value-event", required_argument, NULL, O_VEV },
    { "max-reject-ratio", required_argument, NULL, O_RATIO },
    { "max-field", required_argument, NULL, O_MAXF },
    { "rejects", required_argument, NULL, O_REJ },
    { "show-rejects", required_argument, NULL, O_SHOW },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

#define MAX_KV 64

struct ctx {
    uint64_t shown, limit;
};

static void
on_reject(void *p, const char *msg)
{
    struct ctx *c = p;

    if (c->shown++ < c->limit)
        cli_log(1, "%s", msg);
}

static void
on_progress(void *p, const char *path, const struct ingest_stats *st)
{
    (void)p;
    cli_log(2, "%s: %.0f MB parsed, %llu rows, %.1f s, %.1f MB/s", path,
            (double)st->bytes_parsed / 1e6,
            (unsigned long long)(st->read[0] + st->read[1] + st->read[2]
                                 + st->read[3] + st->read[4]),
            st->seconds,
            st->seconds > 0 ? (double)st->bytes_parsed / 1e6 / st->seconds
                            : 0.0);
}

static void
summary(int32_t dayn, const struct ingest_stats *st)
{
    char day[16];

    dates_format_day(dayn, day);
    cli_log(1, "%s: %llu rows read, %llu accepted, %llu rejected, "
            "%llu duplicates, %llu out of day; %u users, %u items; "
            "%.2f s, %.1f MB/s", day, (unsigned long long)st->rows_read,
            (unsigned long long)st->accepted,
            (unsigned long long)st->rows_rejected,
            (unsigned long long)st->rows_duplicate,
            (unsigned long long)st->rows_out_of_day, st->day_users,
            st->day_items, st->seconds,
            st->seconds > 0 ? (double)st->bytes_parsed / 1e6 / st->seconds
                            : 0.0);
}

static void
on_day(void *p, int32_t dayn, const struct ingest_stats *st)
{
    (void)p;
    summary(dayn, st);
}

static void
value_event(const char *s, struct logread_opts *lr)
{
    const char *colon = strrchr(s, ':');
    char *end;

    if (colon == NULL)
        cli_bad_usage("--value-event: expected EVENT:MIN, got '%s'", s);
    lr->value_event_fb = logread_event_fb(s, (size_t)(colon - s));
    if (lr->value_event_fb == 0)
        cli_bad_usage("--value-event: unknown feedback event in '%s'", s);
    lr->value_event_min = strtod(colon + 1, &end);
    if (colon[1] == '\0' || *end != '\0')
        cli_bad_usage("--value-event: bad number in '%s'", s);
}

int
main(int argc, char **argv)
{
    struct ingest_opts o = ingest_default_opts();
    struct ingest_stats st;
    struct diag d = DIAG_INIT;
    struct ctx c = { 0, 10 };
    const char *logs = NULL, *zone = "UTC";
    char *found[LOGREAD_N_TABLES] = { NULL };
    static const char *map[MAX_KV], *cst[MAX_KV];
    int opt, t, n_stdin = 0, have_date = 0, given = 0, split = 0;
    int32_t from = INT32_MIN, to = INT32_MAX;
    char day[16];

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case O_SEG: o.segroot = optarg; break;
        case O_DATE: o.day = cli_parse_date(optarg, "--date"); have_date = 1;
            break;
        case O_LOGS: logs = optarg; break;
        case O_SPLIT: split = 1; break;
        case O_FROM: from = cli_parse_date(optarg, "--from"); split = 1;
            break;
        case O_TO: to = cli_parse_date(optarg, "--to"); split = 1; break;
        case O_ZONE:
            zone = optarg;
            if (dates_parse_zone(optarg, &o.lr.zone_offset) < 0)
                cli_bad_usage("--zone: expected +hh:mm or UTC, got '%s'",
                              optarg);
            break;
        case O_DELIM:
            if (strcmp(optarg, "\\t") == 0 || strcmp(optarg, "tab") == 0)
                o.lr.delimiter = '\t';
            else if (strlen(optarg) == 1 && strchr(",\t;|", optarg[0]))
                o.lr.delimiter = optarg[0];
            else
                cli_bad_usage("--delimiter: expected ',', '\\t', ';' or '|', "
                              "got '%s'", optarg);
            break;
        case O_MAP:
            if (o.lr.n_map == MAX_KV)
                cli_bad_usage("--map: more than %d entries", MAX_KV);
            map[o.lr.n_map++] = optarg;
            break;
        case O_CONST:
            if (o.lr.n_consts == MAX_KV)
                cli_bad_usage("--const: more than %d entries", MAX_KV);
            cst[o.lr.n_consts++] = optarg;
            break;
        case O_VEV: value_event(optarg, &o.lr); break;
        case O_RATIO:
            o.max_reject_ratio = cli_parse_double(optarg,
                                                  "--max-reject-ratio");
            if (o.max_reject_ratio < 0 || o.max_reject_ratio > 1)
                cli_bad_usage("--max-reject-ratio: expected 0..1, got '%s'",
                              optarg);
            break;
        case O_MAXF: o.lr.max_field = cli_parse_u32(optarg, "--max-field");
            break;
        case O_REJ: o.rejects_path = optarg; break;
        case O_SHOW: c.limit = cli_parse_u64(optarg, "--show-rejects"); break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default:
            if (opt >= O_TABLE && opt < O_TABLE + LOGREAD_N_TABLES) {
                o.paths[opt - O_TABLE] = optarg;
                given++;
                n_stdin += strcmp(optarg, "-") == 0;
                break;
            }
            cli_usage_exit(usage_text);
        }
    }
    o.lr.map = map;
    o.lr.consts = cst;
    if (optind != argc || o.segroot == NULL || have_date == split
        || (logs == NULL) == (given == 0))
        cli_usage_exit(usage_text);
    if (from > to)
        cli_bad_usage("--from is after --to");
    if (n_stdin > 1)
        cli_bad_usage("only one file can be read from stdin ('-')");
    if (logs != NULL) {
        char have[128] = "", absent[128] = "";

        if (ingest_find_logs(logs, found, &d) < 0)
            cli_diag_exit(&d);
        for (t = 0; t < LOGREAD_N_TABLES; t++) {
            char *dst = found[t] != NULL ? have : absent;
            const char *name = found[t] != NULL ? strrchr(found[t], '/') + 1
                                                : logread_table_name(t);

            o.paths[t] = found[t];
            snprintf(dst + strlen(dst), 128 - strlen(dst), "%s%s",
                     dst[0] ? ", " : "", name);
        }
        cli_log(1, "%s: found %s%s%s", logs, have,
                absent[0] ? "; absent: " : "", absent);
    }
    o.on_reject = on_reject;
    o.on_progress = on_progress;
    o.ctx = &c;
    if (split) {
        struct ingest_split_stats sst;
        char d0[16], d1[16];

        if (ingest_split_days(&o, from, to, on_day, &sst, &d) < 0) {
            if (c.shown > c.limit)
                cli_log(1, "%llu more rejects not shown",
                        (unsigned long long)(c.shown - c.limit));
            cli_diag_exit(&d);
        }
        if (c.shown > c.limit)
            cli_log(1, "%llu more rejects not shown (see %s/rejects-split"
                    ".csv)", (unsigned long long)(c.shown - c.limit),
                    o.segroot);
        if (sst.days > 0) {
            dates_format_day(sst.first_day, d0);
            dates_format_day(sst.last_day, d1);
        } else {
            strcpy(d0, "-");
            strcpy(d1, "-");
        }
        cli_log(1, "split: %llu rows read, %llu rejected, %llu outside "
                "--from/--to; %u days written (%s .. %s); %.2f s",
                (unsigned long long)sst.rows_read,
                (unsigned long long)sst.rows_rejected,
                (unsigned long long)sst.rows_out_of_range, sst.days, d0, d1,
                sst.seconds);
        for (t = 0; t < LOGREAD_N_TABLES; t++)
            free(found[t]);
        return RC_OK;
    }

    if (ingest_run(&o, &st, &d) < 0) {
        if (c.shown > c.limit)
            cli_log(1, "%llu more rejects not shown",
                    (unsigned long long)(c.shown - c.limit));
        cli_diag_exit(&d);
    }
    if (c.shown > c.limit)
        cli_log(1, "%llu more rejects not shown (see the reject file)",
                (unsigned long long)(c.shown - c.limit));
    dates_format_day(o.day, day);
    if (st.rows_out_of_day > 0)
        cli_log(1, "%llu rows outside %s (zone %s) not stored, first at "
                "%s:%llu (a file of many days: --split-days stores each)",
                (unsigned long long)st.rows_out_of_day, day, zone,
                st.first_ood_path, (unsigned long long)st.first_ood_line);
    if (st.items_superseded > 0)
        cli_log(1, "%llu item rows superseded by a later row for the same "
                "item", (unsigned long long)st.items_superseded);
    summary(o.day, &st);
    cli_log(2, "phases: read %.2f s, sort %.2f s, save %.2f s; "
            "dictionaries: %u users, %u items, %u creators, %u tags; "
            "peak RSS %.0f MB", st.read_s, st.sort_s, st.save_s,
            st.dict_users, st.dict_items, st.dict_creators, st.dict_tags,
            cli_peak_rss_mb());
    for (t = 0; t < LOGREAD_N_TABLES; t++)
        free(found[t]);
    return RC_OK;
}
