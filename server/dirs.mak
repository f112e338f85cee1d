# server/dirs.mak - the server's source folders, for every Makefile that
# compiles or links server code (server/, tests/unit, tests/fuzz, bench).
# Include it with LAB_SRV set to the path of server/ from the including
# Makefile; it sets LAB_SRV_DIRS (the folders, in dependency order) and
# LAB_SRV_INC (-iquote for each, so "#include "store.h"" finds core/store.h,
# and for include/, the headers shared with the agent).
LAB_SRV_DIRS := core client run flows lava http
LAB_SRV_INC  := $(foreach d,$(LAB_SRV_DIRS),-iquote $(LAB_SRV)/$(d)) -iquote $(LAB_SRV)/../include
