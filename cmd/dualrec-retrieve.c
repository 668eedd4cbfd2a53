/*
 * dualrec-retrieve -- candidate users for target items from every
 * retrieval channel, as TSV on stdout, for inspection and for scripts:
 *     item <TAB> user <TAB> channels <TAB> retr
 * with external ids, items in target order (ascending index), users by
 * retr descending.  The work is in src/model/targets.c (the same targets
 * as dualrec-match) and src/model/channels.c; this file selects the
 * targets, calls channels_generate and prints the table and a summary.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "cli.h"
#include "dates.h"
#include "diag.h"
#include "rc.h"
#include "segment.h"
#include "targets.h"
#include "tower.h"
#include "xmem.h"

static const char usage_text[] =
    "usage: dualrec-retrieve --segments SEGROOT --date YYYY-MM-DD\n"
    "                        --tower FILE [--days N] [--targets FILE]\n"
    "                        [--long-tail-max N]\n"
    "                        [-k N] [--channels LIST] [-q|-v]\n"
    "\n"
    "Print candidate users for target items as TSV on stdout:\n"
    "item, user, channels (e.g. tower+i2i2u), tower score.\n"
    "  --days N         window (default 30)\n"
    "  --targets FILE   item ids, one per line ('-' = stdin); default: the\n"
    "                   night's targets, as dualrec-match selects them\n"
    "                   (uploads of --date and long-tail items)\n"
    "  --long-tail-max N  long tail: fewer than N exposures in the window\n"
    "                   (default 20; 0 = the uploads only)\n"
    "  -k N             candidates per item (default 400)\n"
    "  --channels LIST  comma-separated subset of tower,i2i2u,i2u2u,creator\n";

static const struct option long_opts[] = {
    { "segments", required_argument, NULL, 'S' },
    { "date",     required_argument, NULL, 'D' },
    { "days",     required_argument, NULL, 'n' },
    { "tower",    required_argument, NULL, 't' },
    { "targets",  required_argument, NULL, 'T' },
    { "long-tail-max", required_argument, NULL, 'L' },
    { "channels", required_argument, NULL, 'c' },
    { "quiet",    no_argument,       NULL, 'q' },
    { "verbose",  no_argument,       NULL, 'v' },
    { "help",     no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static uint32_t
parse_channels(const char *s)
{
    uint32_t bits = 0;
    char *dup = xmalloc(strlen(s) + 1), *save = NULL;

    strcpy(dup, s);
    for (char *tok = strtok_r(dup, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int k = 0; k < CANDS_N_CHANNELS; k++) {
            if (strcmp(tok, cands_channel_name((enum cands_channel)(1u << k)))
                == 0) {
                bits |= 1u << k;
                found = 1;
            }
        }
        if (!found)
            cli_bad_usage("--channels: unknown channel '%s'", tok);
    }
    free(dup);
    return bits;
}

int
main(int argc, char **argv)
{
    struct channels_params cp = channels_default_params();
    const char *segroot = NULL, *tower_path = NULL, *targets_path = NULL;
    int32_t date = 0;
    int have_date = 0;
    uint32_t days = 30;
    struct diag d = DIAG_INIT;
    struct window *w;
    struct tower *t;
    struct cands *c;
    struct channels_stats st;
    uint32_t tail_max = TARGETS_LONG_TAIL_MAX;
    struct targets tg;
    int opt;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "k:qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'S': segroot = optarg; break;
        case 'D': date = cli_parse_date(optarg, "--date"); have_date = 1;
                  break;
        case 'n': days = cli_parse_u32(optarg, "--days"); break;
        case 't': tower_path = optarg; break;
        case 'T': targets_path = optarg; break;
        case 'L': tail_max = cli_parse_u32(optarg, "--long-tail-max"); break;
        case 'k': cp.k = cli_parse_u32(optarg, "-k"); break;
        case 'c': cp.enabled = parse_channels(optarg); break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default:  cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || segroot == NULL || tower_path == NULL || !have_date)
        cli_usage_exit(usage_text);
    if (days < 1 || cp.k < 1)
        cli_bad_usage("--days and -k must be at least 1");

    if (tower_load(tower_path, &t, &d) < 0)
        cli_diag_exit(&d);
    if (window_open(segroot, date, (int)days, 0, &w, &d) < 0)
        cli_diag_exit(&d);
    if (targets_path != NULL) {
        if (targets_file(&tg, targets_path, w->items, w->cat.n_items, &d) < 0)
            cli_diag_exit(&d);
    } else {
        if (targets_window(&tg, w, date, tail_max, &d) < 0)
            cli_diag_exit(&d);
    }
    if (channels_generate_stats(w, t, &cp, tg.item, tg.n, NULL, &c, &st, &d)
        < 0)
        cli_diag_exit(&d);
    char buf[48];
    for (size_t k = 0; k < c->n_items; k++)
        for (size_t j = c->off[k]; j < c->off[k + 1]; j++)
            printf("%s\t%s\t%s\t%.6g\n", iddict_name(w->items, c->items[k]),
                   iddict_name(w->users, c->user[j]),
                   cands_channels_str(c->channels[j], buf), c->retr[j]);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        diag_errno(&d, RC_IO, "stdout: write failed");
        cli_diag_exit(&d);
    }
    cli_log(1, "%zu targets (%zu unknown ids skipped), %zu candidates; "
            "%d of %d days loaded; per channel kept: tower %zu, i2i2u %zu, "
            "i2u2u %zu, creator %zu", tg.n, tg.n_unknown, c->n, st.days_loaded,
            w->n_days, st.kept[0], st.kept[1], st.kept[2], st.kept[3]);
    if (st.no_features || st.no_engagers || st.no_creator || st.empty)
        cli_log(1, "%zu targets without features (tower used the global "
                "feature and any id vector), %zu without early engagers (no "
                "i2u2u), %zu without a creator (no creator channel), %zu "
                "with no candidate", st.no_features, st.no_engagers,
                st.no_creator, st.empty);
    cands_free(c);
    targets_release(&tg);
    tower_free(t);
    window_free(w);
    return RC_OK;
}
