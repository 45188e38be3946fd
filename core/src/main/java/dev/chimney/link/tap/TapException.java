package dev.chimney.link.tap;

import dev.chimney.link.ffm.LibC;

/**
 * A TAP device could not be opened or configured. The message is one line saying what went wrong and what to do;
 * {@link #reason()} lets callers (and tests) branch without parsing it.
 */
public final class TapException extends RuntimeException {
    /** Why the device could not be used. */
    public enum Reason {
        /** The TUN/TAP control device ({@code /dev/net/tun}) is missing. */
        NO_TUN_DEVICE,
        /** The path exists but is not a TUN/TAP control device. */
        NOT_A_TUN_DEVICE,
        /** The caller lacks CAP_NET_ADMIN. */
        PERMISSION_DENIED,
        /** Another process holds the named device. */
        BUSY,
        /** The kernel rejected the interface name (or a non-TAP interface has it). */
        INVALID_NAME,
        /** The kernel refused the virtio-net header or offload settings. */
        OFFLOAD_UNSUPPORTED,
        /** Any other failed system call. */
        SYSCALL_FAILED
    }

    private final Reason reason;
    private final int errno;

    TapException(Reason reason, int errno, String message) {
        super(message);
        this.reason = reason;
        this.errno = errno;
    }

    public Reason reason() {
        return reason;
    }

    /** The errno behind the failure, 0 if none. */
    public int errno() {
        return errno;
    }

    /** Maps a failed open(2) of the control device to an actionable message. */
    static TapException openFailed(String devicePath, int errno) {
        return switch (errno) {
            case LibC.ENOENT, LibC.ENODEV, LibC.ENXIO -> new TapException(Reason.NO_TUN_DEVICE, errno,
                    devicePath + " is not available (" + LibC.strerror(errno)
                            + "): load the tun module (modprobe tun) or run in a container with /dev/net/tun");
            case LibC.EPERM, LibC.EACCES -> new TapException(Reason.PERMISSION_DENIED, errno,
                    "cannot open " + devicePath + " (" + LibC.strerror(errno) + "): needs CAP_NET_ADMIN: run as root");
            default -> new TapException(Reason.SYSCALL_FAILED, errno,
                    "cannot open " + devicePath + ": " + LibC.strerror(errno));
        };
    }

    /** Maps a failed TUNSETIFF to an actionable message. */
    static TapException attachFailed(String devicePath, String name, int errno) {
        String shown = name.isEmpty() ? "(kernel-chosen name)" : name;
        return switch (errno) {
            case LibC.EPERM, LibC.EACCES -> new TapException(Reason.PERMISSION_DENIED, errno,
                    "cannot create TAP device " + shown + " (" + LibC.strerror(errno)
                            + "): needs CAP_NET_ADMIN: run as root");
            case LibC.EBUSY -> new TapException(Reason.BUSY, errno,
                    "device " + shown + " is busy (held by another process): close it there or pick another name");
            case LibC.EINVAL -> new TapException(Reason.INVALID_NAME, errno,
                    "the kernel rejected TAP name '" + shown + "' (" + LibC.strerror(errno)
                            + "): use at most 15 characters of [A-Za-z0-9_.-] not taken by a non-TAP interface");
            case LibC.ENOTTY, LibC.EBADF -> new TapException(Reason.NOT_A_TUN_DEVICE, errno,
                    devicePath + " is not a TUN/TAP control device (" + LibC.strerror(errno)
                            + "): point the device path at /dev/net/tun");
            default -> new TapException(Reason.SYSCALL_FAILED, errno,
                    "TUNSETIFF for " + shown + " failed: " + LibC.strerror(errno));
        };
    }

    /** A configuration ioctl (MTU, flags, offloads) failed. */
    static TapException configFailed(Reason reason, String what, String name, int errno) {
        String hint = errno == LibC.EPERM || errno == LibC.EACCES ? ": needs CAP_NET_ADMIN: run as root" : "";
        return new TapException(reason, errno, what + " on " + name + " failed: " + LibC.strerror(errno) + hint);
    }
}
