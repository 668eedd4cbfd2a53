/*
 * dualrec-dump -- print one day segment as TSV, for people and scripts
 * that want to look inside segments/dt=D/segment.bin.  With --segments the
 * dense indices are mapped back to the external ids through the
 * dictionaries of that segment root.  All the work is in src/store/segment.c;
 * this file turns argv into a section and a diag into an exit code.
 * --layout ROOT --date D prints the run-root layout (base/layout.h), the
 * paths run_daily.sh --print-layout must agree with.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "iddict.h"
#include "layout.h"
#include "rc.h"
#include "segment.h"

static const char usage_text[] =
    "usage: dualrec-dump [-q] [-v] [--section SECTION] [--segments SEGROOT]\n"
    "                    SEGMENT_FILE\n"
    "       dualrec-dump --layout ROOT --date YYYY-MM-DD\n"
    "\n"
    "Print a day segment as TSV on stdout.\n"
    "  --layout ROOT       instead: the paths of run root ROOT for --date\n"
    "                      (key TAB path; the layout run_daily.sh uses)\n"
    "  -s, --section S     summary (default), exposures, inter, items,\n"
    "                      follows or users\n"
    "  -S, --segments DIR  segment root whose dict/ maps indices to ids\n"
    "  -q, --quiet         no messages but errors\n"
    "  -v, --verbose       more messages on stderr\n"
    "  -h, --help          this text\n";

static const struct option long_opts[] = {
    { "section",  required_argument, NULL, 's' },
    { "segments", required_argument, NULL, 'S' },
    { "layout",   required_argument, NULL, 'L' },
    { "date",     required_argument, NULL, 'D' },
    { "quiet",    no_argument,       NULL, 'q' },
    { "verbose",  no_argument,       NULL, 'v' },
    { "help",     no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static const char *const section_names[] = {
    "summary", "exposures", "inter", "items", "follows", "users"
};

struct dump_opts {
    enum segment_section section;
    const char *segroot;        /* NULL: print indices */
    const char *path;
};

static enum segment_section
parse_section(const char *s)
{
    for (size_t k = 0; k < sizeof section_names / sizeof *section_names; k++)
        if (strcmp(s, section_names[k]) == 0)
            return (enum segment_section)k;
    cli_bad_usage("--section: unknown section '%s'", s);
}

int
main(int argc, char **argv)
{
    static const char *const kinds[4] = { "users", "items", "creators",
                                          "tags" };
    struct dump_opts o = { SEGMENT_SUMMARY, NULL, NULL };
    struct diag d = DIAG_INIT;
    struct segment *seg = NULL;
    struct iddict *dicts[4] = { NULL, NULL, NULL, NULL };
    struct segment_names names;
    const char *layout_root = NULL;
    int32_t day = 0;
    int have_date = 0, opt;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "s:S:qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 's': o.section = parse_section(optarg); break;
        case 'S': o.segroot = optarg; break;
        case 'L': layout_root = optarg; break;
        case 'D': day = cli_parse_date(optarg, "--date"); have_date = 1;
                  break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default:  cli_usage_exit(usage_text);
        }
    }
    if (layout_root != NULL || have_date) {
        if (layout_root == NULL || !have_date || optind != argc)
            cli_usage_exit(usage_text);
        layout_print(stdout, layout_root, day);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            diag_errno(&d, RC_IO, "stdout: write failed");
            cli_diag_exit(&d);
        }
        return RC_OK;
    }
    if (argc - optind != 1)
        cli_usage_exit(usage_text);
    o.path = argv[optind];

    if (segment_load(o.path, &seg, &d) < 0)
        cli_diag_exit(&d);
    for (int k = 0; o.segroot != NULL && k < 4; k++) {
        char *p = segment_dict_path(o.segroot, kinds[k]);
        int rc = iddict_load(p, &dicts[k], &d);

        free(p);
        if (rc < 0)
            cli_diag_exit(&d);
    }
    names = (struct segment_names){ dicts[0], dicts[1], dicts[2], dicts[3] };
    if (segment_write_tsv(seg, o.section, &names, stdout, o.path, &d) < 0)
        cli_diag_exit(&d);
    cli_log(2, "%s: %zu exposures, %zu interactions, %zu item rows",
            o.path, seg->n_exp, seg->n_inter, seg->n_items);
    for (int k = 0; k < 4; k++)
        iddict_free(dicts[k]);
    segment_free(seg);
    return RC_OK;
}
