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
all::

-include config.mak

CACHE  ?= $(HOME)/.cache/iommulab
O      ?= $(CURDIR)/build
KERNEL ?= 6.1
ARCH   ?= x86_64
V      ?= 0
export CACHE O KERNEL ARCH V

.PHONY: all agent server kmods deps matrix demo test bench fuzz clean help

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

clean:
	$(RM) -r $(O)
	$(MAKE) -C kmods clean

help:
	@sed -n '2,/^all::/p' Makefile | sed -n 's/^# \{0,1\}//p'
	@echo "targets: all agent server kmods deps matrix demo test bench clean"
