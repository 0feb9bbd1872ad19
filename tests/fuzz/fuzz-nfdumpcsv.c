/* fuzz-nfdumpcsv.c - libFuzzer target: nfdump CSV text through
 * sf_nfdump_csv_line(), after nfdump 1.7.1's header line unless the input
 * starts with a header of its own; each line a NUL-terminated copy, as
 * sf_nfdump_csv_read() gives them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nfdumpcsv.h"

static const char header[] = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,"
    "opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,"
    "idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,"
    "cl,sl,al,ra,eng,exid,tr";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_nfdump_csv_t *p = sf_nfdump_csv_new();
    char *line = malloc(size + sizeof header);
    gboolean done = FALSE;
    size_t at = 0;
    sf_flow_t f;

    memcpy(line, header, sizeof header);
    sf_nfdump_csv_line(p, line, &f, &done);
    while (at < size && !done) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
        memcpy(line, data + at, len);
        line[len] = '\0';
        sf_nfdump_csv_line(p, line, &f, &done);
        at += len + 1;
    }
    free(line);
    sf_nfdump_csv_free(p);
    return 0;
}
