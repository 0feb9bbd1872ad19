/* hunt.h - `scanflow hunt`: scanflowd's detection over stored flows. */
#ifndef SF_HUNT_H
#define SF_HUNT_H

int sf_cmd_hunt(int argc, char **argv);

#endif
