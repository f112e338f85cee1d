#!/bin/sh
# /init of the iommulab guest initramfs (installed by rig/mkinitramfs).
# Mounts the pseudo filesystems, lowers the console log level so kernel
# messages do not interleave with the agent's records, loads the modules in
# /etc/iommulab/modules, runs the agent and powers off. Every step prints an
# "iommulab-init:" line so a log shows where a boot stopped.
export PATH=/bin:/sbin
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmp /tmp
dmesg -n 1
echo "iommulab-init: $(uname -r) up $(cut -d' ' -f1 /proc/uptime)s"
while read -r ko; do
	[ -n "$ko" ] || continue
	grep -q "^$(basename "$ko" .ko | tr - _) " /proc/modules && continue
	insmod "$ko" || echo "iommulab-init: insmod $ko failed"
done < /etc/iommulab/modules
echo "iommulab-init: modules loaded at $(cut -d' ' -f1 /proc/uptime)s"
/bin/iommulab-agent
rc=$?
echo "iommulab-init: agent exit $rc at $(cut -d' ' -f1 /proc/uptime)s"
sync
poweroff -f
