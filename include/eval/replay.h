/*
 * replay.h -- replay evaluation of one published date on the next day's
 * logs (dualrec-eval).
 *
 * The tables dualrec-match published for date D (OUT/dt=D/item_users.tsv.zst
 * and manifest.json) say which users should receive each target item on
 * D+1.  Day D+1's segment says who was active and who engaged with what.
 * Replay measures, without any online experiment:
 *   hit rate        matched users active on D+1 (users and pairs), against
 *                   the active rate of all users known at D (the paper's
 *                   49% -> 82% is this number without / with UAC)
 *   recall          of the users who engaged with each target on D+1
 *                   (explicit feedback; and any click or long view), micro
 *                   and macro over items, next to a random audience of the
 *                   same size
 *   coverage        targets with >= 1 matched user and with a full audience
 *                   (L users); the same for items uploaded on D (new items)
 *   items per user  histogram, max, Gini over matched users, and over
 *                   available users (a_u = 1) zeros included
 *   channels        share of matched pairs per retrieval channel, and
 *                   their hit rate
 *   ranking         per-task AUC / log-loss on D+1's exposures (new and old
 *                   items), when the rank model of D is given
 *   UAC             p_active against realised activity: AUC, log-loss,
 *                   calibration by decile, precision/recall of a_u, share
 *                   of D+1 impressions inside the predicted hour windows,
 *                   when the availability table of D is given
 * A user is active on D+1 when D+1's segment has an exposure or an
 * interaction of theirs.  Engagement is read from exposures' feedback bits
 * and interaction rows alike.
 */
#ifndef DUALREC_REPLAY_H
#define DUALREC_REPLAY_H

#include <stdint.h>

#include "diag.h"
#include "evalrep.h"

struct replay_opts {
    const char *segroot;        /* segments: dict/ and dt=D, dt=D+1 */
    const char *outroot;        /* published tables: OUT/dt=D/ */
    int32_t date;               /* D */
    const char *avail_path;     /* NULL: no UAC section */
    const char *rank_path;      /* NULL: no ranking section */
    const char *tower_path;     /* the tower the ranker used (optional) */
    int days;                   /* window of the ranking context (30) */
};

/*
 * Build the report.  RC_NOINPUT when the date is not published (no
 * _SUCCESS) or day D+1's segment is missing; RC_DATA for a malformed table
 * ("<path>:<line>: ...") or a corrupt input.  *out is new (evalrep_free).
 */
int replay_run(const struct replay_opts *o, struct evalrep **out,
               struct diag *d);

#endif
