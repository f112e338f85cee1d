# iommulab - top-level Makefile.
#
# Every area builds with its own Makefile (agent/, server/, kmods/); this file
# only names the shared knobs and delegates. Knobs (override on the command
# line or in config.mak):
#   CACHE   downloads, kernels, initramfs images, module builds, the demo's
#           database: everything fetched or built outside git
#   O       where userspace objects and binaries go (default ./build, ignored)
#   KERNEL  kernel for `make matrix`/`make kmods`: 6.1, 6.12 or a lab kernel name
#   ARCH    x86_64 (default), arm64, s390x
#   V=1     show full commands
#   PREFIX, DESTDIR, SYSCONFDIR, STATEDIR   `make install` (see below)
all::

-include config.mak

CACHE  ?= $(HOME)/.cache/iommulab
O      ?= $(CURDIR)/build
KERNEL ?= 6.1
ARCH   ?= x86_64
V      ?= 0
export CACHE O KERNEL ARCH V

.PHONY: all agent server kmods deps matrix demo test bench fuzz clean help install

all:: agent server

agent:
	$(MAKE) -C agent

server:
	$(MAKE) -C server

# the kernel module for one kernel (fetches that kernel's headers)
kmods:
	$(MAKE) -C kmods KERNEL=$(KERNEL) ARCH=$(ARCH)

# Debian packages the lab needs (apt-get, as root); a no-op when present
deps:
	scripts/install-deps base rig server

# fetch, build, boot and print the matrix for one kernel on every target of ARCH
matrix: deps
	rig/matrix --kernel $(KERNEL) --arch $(ARCH)

# the main job: see README.md
demo: deps all
	scripts/demo

test: deps all
	tests/run

# the LAVA stage alone: brings up a local LAVA, runs jobs through it
test-lava: deps all
	tests/run lava

bench: deps all
	bench/run

# every libFuzzer target (tests/fuzz) for FUZZ_T seconds each (default 600)
fuzz:
	scripts/install-deps bench
	$(MAKE) -C tests/fuzz run T=$(or $(FUZZ_T),600)

# ---- install: the server as a service -------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc/iommulab]
#              [STATEDIR=/var/lib/iommulab]
#   BINDIR/iommulabd, BINDIR/iommulab     the server and the CLI
#   DATADIR (PREFIX/share/iommulab)       what the runner runs and reads: rig/,
#       kernels/, scripts/, agent/ and kmods/ (built per job for each kernel) with
#       include/ (the record names the agent shares with the server),
#       schema/, targets/, web/, jobs/ (LAVA templates), README.md, and
#       catalogue.json (the agent's cases and contracts: iommulabd --catalogue)
#   LIBEXECDIR/iommulabd-start            starts iommulabd with the config file
#   SYSCONFDIR/iommulabd.conf             every option of iommulabd --help
#   UNITDIR/iommulabd.service, SYSUSERSDIR/iommulab.conf (user iommulab,
#       state in STATEDIR)
# Then, as root on the host: systemd-sysusers; systemctl daemon-reload;
# systemctl enable --now iommulabd (see README.md, "Install as a service").
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share/iommulab
LIBEXECDIR  ?= $(PREFIX)/libexec/iommulab
SYSCONFDIR  ?= /etc/iommulab
STATEDIR    ?= /var/lib/iommulab
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DATA_DIRS   := agent kmods include rig kernels scripts schema targets web jobs
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
	-e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@STATEDIR@|$(STATEDIR)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 755 $(O)/server/iommulabd $(O)/server/iommulab $(DESTDIR)$(BINDIR)/
	# the agent's case catalogue: the contracts iommulabd judges results by
	install -m 644 $(O)/agent/catalogue.json $(DESTDIR)$(DATADIR)/catalogue.json
	# the tracked files of DATA_DIRS (every file when this is no git checkout)
	(git ls-files -- $(DATA_DIRS) 2>/dev/null || find $(DATA_DIRS) -type f) | \
		tar -cf - --no-recursion -T - README.md | tar -xf - -C $(DESTDIR)$(DATADIR)
	$(SUBST) packaging/iommulabd-start > $(DESTDIR)$(LIBEXECDIR)/iommulabd-start
	chmod 755 $(DESTDIR)$(LIBEXECDIR)/iommulabd-start
	$(SUBST) packaging/iommulabd.service > $(DESTDIR)$(UNITDIR)/iommulabd.service
	$(SUBST) packaging/iommulab.sysusers > $(DESTDIR)$(SYSUSERSDIR)/iommulab.conf
	# a config file already there is the admin's: the new one goes beside it
	if [ -e $(DESTDIR)$(SYSCONFDIR)/iommulabd.conf ]; then \
		$(SUBST) packaging/iommulabd.conf > $(DESTDIR)$(SYSCONFDIR)/iommulabd.conf.new; \
	else \
		$(SUBST) packaging/iommulabd.conf > $(DESTDIR)$(SYSCONFDIR)/iommulabd.conf; fi

clean:
	$(RM) -r $(O)
	$(MAKE) -C kmods clean

help:
	@sed -n '2,/^all::/p' Makefile | sed -n 's/^# \{0,1\}//p'
	@echo "targets: all agent server kmods deps matrix demo test bench fuzz install clean"
