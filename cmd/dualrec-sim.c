/*
 * dualrec-sim -- the delivery simulator: compare matching policies by what
 * creators get in a generated world (src/eval/sim.c).
 *
 * Each --policy names the tables one dualrec-match run published for date
 * D (OUTROOT/dt=D/user_items.tsv.zst) or "none" (the user-side feed
 * alone).  The world of `dualrec-gen --out WORLD` is rebuilt at day D+1 and
 * that day is simulated once per policy on common random numbers.  Writes
 * DIR/sim.html and DIR/sim.json; the comparison table goes to stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "cli.h"
#include "dates.h"
#include "evalrep.h"
#include "layout.h"
#include "publish.h"
#include "rc.h"
#include "sim.h"
#include "worldgen.h"
#include "xmem.h"

#define MAX_POLICIES 16

static const char usage_text[] =
    "usage: dualrec-sim --world DIR --date D --policy NAME=OUTROOT...\n"
    "                   [--policy none] [--note TEXT]... [--report DIR]\n"
    "                   [-q] [-v]\n"
    "Simulate day D+1 of the generated world DIR (dualrec-gen --out DIR)\n"
    "once per policy, delivering each user's D_u from the user->items\n"
    "table OUTROOT/dt=D/user_items.tsv.zst ('none': no pushes, the\n"
    "user-side feed alone), on common random numbers.  Policy names\n"
    "none, no-uac, paper-uac and full get the paper's directions table.\n"
    "--note adds a paragraph to the report (e.g. how a policy was made).\n"
    "Writes DIR/sim.html and DIR/sim.json (default: the current\n"
    "directory) and prints the comparison on stdout.\n";

static const struct option long_opts[] = {
    { "world",   required_argument, NULL, 'w' },
    { "date",    required_argument, NULL, 'd' },
    { "policy",  required_argument, NULL, 'p' },
    { "report",  required_argument, NULL, 'o' },
    { "note",    required_argument, NULL, 'n' },
    { "quiet",   no_argument,       NULL, 'q' },
    { "verbose", no_argument,       NULL, 'v' },
    { "help",    no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* Load policy spec "none" or "NAME=OUTROOT" for date D. */
static int
load_policy(const char *spec, const struct worldgen *w, int32_t date,
            struct sim_policy *p, struct diag *d)
{
    const char *eq = strchr(spec, '=');
    char *name, *path, *man = NULL, desc[512];
    int rc;

    if (eq == NULL) {
        sim_policy_none(p, spec, "no dualrec: the user-side feed alone");
        return 0;
    }
    name = xstrndup(spec, (size_t)(eq - spec));
    path = layout_day(eq + 1, date, NULL);
    desc[0] = '\0';
    if (publish_manifest_load(path, &man, d) == 0) {
        publish_manifest_section(man, "params", desc, sizeof desc);
        free(man);
    }
    free(path);
    path = layout_day(eq + 1, date, LAYOUT_USER_ITEMS);
    rc = sim_policy_load(path, w, name, desc, p, d);
    free(name);
    free(path);
    return rc;
}

int
main(int argc, char **argv)
{
    struct diag d = DIAG_INIT;
    const char *world_dir = NULL, *report_dir = ".", *specs[MAX_POLICIES];
    const char *notes[MAX_POLICIES];
    struct sim_policy pol[MAX_POLICIES];
    struct sim_result res[MAX_POLICIES];
    struct worldgen *w = NULL;
    struct evalrep *rep;
    int n_pol = 0, n_notes = 0, n_loaded = 0, have_date = 0, opt;
    int32_t date = 0;
    char day[16], next[16], title[128], *html, *json;
    double t0;

    cli_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'w': world_dir = optarg; break;
        case 'd': date = cli_parse_date(optarg, "--date"); have_date = 1;
                  break;
        case 'p':
            if (n_pol == MAX_POLICIES)
                cli_bad_usage("at most %d policies", MAX_POLICIES);
            specs[n_pol++] = optarg;
            break;
        case 'o': report_dir = optarg; break;
        case 'n':
            if (n_notes == MAX_POLICIES)
                cli_bad_usage("at most %d notes", MAX_POLICIES);
            notes[n_notes++] = optarg;
            break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': fputs(usage_text, stdout); return RC_OK;
        default: cli_usage_exit(usage_text);
        }
    }
    if (optind != argc || world_dir == NULL || !have_date || n_pol == 0)
        cli_usage_exit(usage_text);

    t0 = cli_now();
    if (worldgen_open_at(world_dir, date + 1, &w, &d) < 0)
        cli_diag_exit(&d);
    for (; n_loaded < n_pol; n_loaded++)
        if (load_policy(specs[n_loaded], w, date, &pol[n_loaded], &d) < 0)
            cli_diag_exit(&d);
    cli_log(2, "world at %s and %d policies loaded (%.1f s)",
            dates_format_day(date + 1, next), n_pol, cli_now() - t0);
    if (sim_run(w, date, pol, n_pol, res, &d) < 0)
        cli_diag_exit(&d);

    snprintf(title, sizeof title, "dualrec delivery simulator: tables of "
             "%s delivered on %s", dates_format_day(date, day),
             dates_format_day(date + 1, next));
    rep = evalrep_new(title);
    for (int k = 0; k < n_notes; k++)
        evalrep_note(rep, notes[k]);
    sim_report(rep, pol, n_pol, res);
    html = xmalloc(strlen(report_dir) + 16);
    json = xmalloc(strlen(report_dir) + 16);
    sprintf(html, "%s/sim.html", report_dir);
    sprintf(json, "%s/sim.json", report_dir);
    if (mkdir_p(report_dir, &d) < 0 || evalrep_write_json(rep, json, &d) < 0
        || evalrep_write_html(rep, html, &d) < 0)
        cli_diag_exit(&d);
    evalrep_write_text(rep, stdout);
    cli_log(1, "report %s (%.1f s)", html, cli_now() - t0);

    evalrep_free(rep);
    for (int k = 0; k < n_pol; k++)
        sim_policy_release(&pol[k]);
    worldgen_free(w);
    free(html);
    free(json);
    return RC_OK;
}
