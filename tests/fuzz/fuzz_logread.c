/*
 * fuzz_logread -- the CSV log reader (logread.h) on arbitrary files.
 *
 * Input: byte 0 picks the table (bits 0-2, mod 5), a small field limit
 * (bit 3), a --map entry (bit 4), a --const entry (bit 5), one or two
 * threads (bit 6), and whether byte 1 selects a header row to put in front
 * of the rest (bit 7; the headers are the layouts README documents: the
 * canonical names, KuaiRand's and MovieLens' aliases, other orders), so
 * that the fuzzer spends its time on records under a valid binding as well
 * as on headers.  The rest is the file (plain or zstd: zin sniffs it).
 * Every row is read to the end; rejects are fine, crashes, leaks and
 * undefined behaviour are not.
 */
#include <omp.h>

#include "fuzz_common.h"
#include "logread.h"

static const char *const headers[] = {
    "time,user,item,click,like,comment,follow,share,long_view,hate,"
    "play_ms,duration_ms\n",
    "user_id,video_id,time_ms,is_click,is_like,is_follow,is_comment,"
    "is_forward,is_hate,long_view,play_time_ms,duration_ms\n",
    "userId,movieId,rating,timestamp\n",
    "time,user,item,event,value\n",
    "ts,user_id,item_id,action\n",
    "item,creator,upload_time,tags,duration_ms\n",
    "video_id,author_id,upload_dt,tag,video_duration\n",
    "movieId,title,genres\n",
    "time,user,creator\n",
    "user\n",
    "\xef\xbb\xbf\"user\",\"item\",\"time\"\r\n",
    "item,user,time,x,y,z\n",
};
#define N_HEADERS (sizeof headers / sizeof headers[0])

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const map[] = { "item=movieId" };
    static const char *const consts[] = { "creator=c0" };
    struct logread_opts o;
    struct logread *r = NULL;
    struct logread_row row;
    struct diag d = DIAG_INIT;
    const char *path;
    uint8_t sel;
    size_t skip = 1, n_rows = 0;
    char *buf;
    size_t blen = 0;
    int got;

    if (size < 1)
        return 0;
    sel = data[0];
    memset(&o, 0, sizeof o);
    o.zone_offset = 8 * 3600;
    o.max_field = (sel & 0x08) ? 16 : 0;
    if (sel & 0x10) {
        o.map = map;
        o.n_map = 1;
    }
    if (sel & 0x20) {
        o.consts = consts;
        o.n_consts = 1;
    }
    o.value_event_fb = (sel & 0x10) ? 1u << 1 : 0;
    o.value_event_min = 4;
    omp_set_num_threads((sel & 0x40) ? 2 : 1);

    buf = malloc(size + 256);
    if (buf == NULL)
        return 0;
    if ((sel & 0x80) && size >= 2) {
        const char *h = headers[data[1] % N_HEADERS];

        blen = strlen(h);
        memcpy(buf, h, blen);
        skip = 2;
    }
    memcpy(buf + blen, data + skip, size - skip);
    blen += size - skip;
    path = fuzz_write("in.csv", buf, blen);
    free(buf);

    if (logread_open(path, (enum logread_table)((sel & 7) % LOGREAD_N_TABLES),
                     &o, &r, &d) < 0)
        return 0;
    while ((got = logread_next(r, &row, &d)) == LOGREAD_ROW
           || got == LOGREAD_REJECT) {
        /* touch what a row hands out, so lengths that lie show up */
        if (got == LOGREAD_ROW) {
            volatile char sink = 0;

            if (row.user.n > 0)
                sink ^= row.user.p[row.user.n - 1];
            if (row.item.n > 0)
                sink ^= row.item.p[row.item.n - 1];
            if (row.creator.n > 0)
                sink ^= row.creator.p[row.creator.n - 1];
            if (row.tags.n > 0)
                sink ^= row.tags.p[row.tags.n - 1];
            (void)sink;
        }
        if (++n_rows > 1000000)
            break;
    }
    logread_close(r);
    return 0;
}
