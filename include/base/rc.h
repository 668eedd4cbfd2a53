/*
 * rc.h -- the exit codes of every dualrec executable, in one place.
 *
 * Values follow sysexits(3) so that cron wrappers and schedulers can tell a
 * bad flag from bad data from a missing input from a full disk.  A library
 * function reports one of these in its struct diag; main() exits with it.
 * README.md documents the same table; keep the two in step.
 */
#ifndef DUALREC_RC_H
#define DUALREC_RC_H

enum rc {
    RC_OK       = 0,    /* success */
    RC_USAGE    = 64,   /* bad flag, bad argument, missing argument */
    RC_DATA     = 65,   /* bad input data: rejects over budget, corrupt file */
    RC_NOINPUT  = 66,   /* an input file or partition does not exist */
    RC_INTERNAL = 70,   /* an invariant broke: a bug, please report */
    RC_CANTCREAT = 73,  /* an output cannot be created */
    RC_IO       = 74,   /* read or write failed (disk full, EIO, ...) */
    RC_RETRY    = 75,   /* temporary: another run holds the lock */
    RC_CONFIG   = 78    /* bad configuration file or option value */
};

#endif
