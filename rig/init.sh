#!/bin/sh
# /init of the iommulab guest initramfs (installed by rig/mkinitramfs).
# Mounts the pseudo filesystems, sets the console log level, loads the
# modules in /etc/iommulab/modules, runs the agent and powers off. Every step
# prints an "iommulab-init:" line so a log shows where a boot stopped.
#
# Console level 5: messages of level 0-4 (emerg .. warning, and
# KERN_DEFAULT, which Debian logs at 4) reach the console, so a WARN, an
# oops, a BUG, a lockdep or sanitizer report, a lockup or an IOMMU fault
# (all printed at warning or above, stack dumps included) is in the job's
# log in full; notice/info/debug (driver probe chatter, vfio and module
# messages: most of a boot's volume) stay in the kernel's buffer, so the
# console remains readable and short. The agent closes the console to all
# but KERN_EMERG only while it writes its own lines (agent/runner.c, quiet
# windows), so kernel text never lands inside a record line.
export PATH=/bin:/sbin
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmp /tmp
dmesg -n 5
echo "iommulab-init: $(uname -r) up $(cut -d' ' -f1 /proc/uptime)s"
# insmod (unlike modprobe) does not read MODULE.PARAM=VALUE from the kernel
# command line: pass them on, e.g. vfio_iommu_type1.allow_unsafe_interrupts=1
while read -r ko; do
	[ -n "$ko" ] || continue
	m=$(basename "$ko" .ko | tr - _)
	grep -q "^$m " /proc/modules && continue
	params=$(tr ' ' '\n' < /proc/cmdline | sed -n "s/^$m\.//p")
	# the probe's test-only fault switch (IOMMULAB_OP_FAULT), only when a
	# run asks for a kernel fault
	if [ "$m" = iommulab_probe ] && grep -Eq '(^| )iommulab\.fault=(warn|oops|kpanic)( |$)' /proc/cmdline; then
		params="$params fault_ops=1"
	fi
	insmod "$ko" $params || echo "iommulab-init: insmod $ko $params failed"
	[ -n "$params" ] && echo "iommulab-init: $m loaded with $params"
done < /etc/iommulab/modules
echo "iommulab-init: modules loaded at $(cut -d' ' -f1 /proc/uptime)s"
# iommulab.free=VVVV:DDDD[,...] on the command line (a target's qemu.append)
# names test devices a built-in driver claims at boot (virtio-pci on s390x
# 6.12): unbind them so the cases may move them between domains. Only the
# target's own extra devices are listed; nothing else is touched.
free=$(sed -n 's/.*iommulab\.free=\([0-9a-fA-F:,]*\).*/\1/p' /proc/cmdline)
for id in $(echo "$free" | tr , ' '); do
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x${id%%:*}:0x${id##*:}" ] || continue
		[ -e "$d/driver" ] || continue
		drv=$(basename "$(readlink "$d/driver")")
		echo "${d##*/}" > "$d/driver/unbind" &&
			echo "iommulab-init: ${d##*/}: unbound from $drv (iommulab.free)"
	done
done
# Some IOMMU drivers give a device its group only when a driver binds to it
# (virtio-iommu with ACPI VIOT on 6.12: groups come from dma_configure at
# probe time). Test devices (edu) have no driver, so bind vfio-pci once and
# unbind it again: the device keeps its group and ends up unbound as on the
# other IOMMUs. Devices the firmware leaves out of the IOMMU stay groupless.
if [ -n "$(ls /sys/class/iommu 2>/dev/null)" ] && [ -d /sys/bus/pci/drivers/vfio-pci ]; then
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/iommu_group" ] || [ -e "$d/driver" ] && continue
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] || continue
		b=${d##*/}
		echo vfio-pci > "$d/driver_override"
		echo "$b" > /sys/bus/pci/drivers_probe 2>/dev/null
		[ -e "$d/driver" ] && echo "$b" > "$d/driver/unbind"
		echo > "$d/driver_override"
		[ -e "$d/iommu_group" ] && echo "iommulab-init: $b: group created by a bind/unbind of vfio-pci"
	done
fi
# the test-only boot fault (iommulab.fault=boot, a job whose filter starts
# with fault.boot): a real kernel panic before the agent starts, so the
# runner's "boot" record (a kernel that crashes before any case) is tested
if grep -Eq '(^| )iommulab\.fault=boot( |$)' /proc/cmdline; then
	echo "iommulab-init: fault=boot: crashing the kernel (sysrq c) before the agent"
	echo 1 > /proc/sys/kernel/sysrq
	echo c > /proc/sysrq-trigger
fi
/bin/iommulab-agent
rc=$?
echo "iommulab-init: agent exit $rc at $(cut -d' ' -f1 /proc/uptime)s"
sync
poweroff -f
