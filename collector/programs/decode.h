/* decode.h - `scanflow decode`: print the flows of captures and files. */
#ifndef SF_DECODE_H
#define SF_DECODE_H

int sf_cmd_decode(int argc, char **argv);

#endif
