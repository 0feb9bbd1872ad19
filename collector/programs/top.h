/*
 * top.h - `scanflow top`: the sources with the highest fan-out now.
 */
#ifndef SF_TOP_H
#define SF_TOP_H

int sf_cmd_top(int argc, char **argv);

#endif
