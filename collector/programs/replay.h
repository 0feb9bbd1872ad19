/* replay.h - `scanflow replay`: send export captures to a collector. */
#ifndef SF_REPLAY_H
#define SF_REPLAY_H

int sf_cmd_replay(int argc, char **argv);

#endif
