package dev.chimney.link.tap;

import java.util.Objects;

/**
 * How to open a {@link TapDevice}.
 *
 * @param name        interface name (at most 15 characters), or "" to let the kernel choose ({@code tapN});
 *                    a {@code %d} in the name is filled in by the kernel
 * @param mtuBytes    MTU to set on the interface, or 0 to keep what it has (1500 for a new TAP)
 * @param persist     keep the interface after the descriptor closes ({@code TUNSETPERSIST}); false by default.
 *                    Opening an already persistent device with false leaves it persistent
 * @param vnetHeader  open with {@code IFF_VNET_HDR}: every frame carries a {@value VirtioNetHeader#BYTES}-byte
 *                    virtio-net header and checksum/TSO offloads are enabled, so 64 KiB super-frames can pass
 * @param devicePath  the TUN/TAP control device, {@code /dev/net/tun} normally
 * @param txQueueLength the kernel's queue of frames towards the stack ({@code txqueuelen}, SIOCSIFTXQLEN), or 0 to
 *                    keep what the interface has (1000 for a new TAP on current kernels, 500 on old ones). When the stack does not read fast enough
 *                    the kernel drops what does not fit (the interface's {@code tx_dropped}); a longer queue
 *                    absorbs the bursts of many flows, see {@link #RECOMMENDED_TX_QUEUE_LENGTH}
 */
public record TapOptions(String name, int mtuBytes, boolean persist, boolean vnetHeader, String devicePath,
                         int txQueueLength) {
    public static final String DEFAULT_DEVICE_PATH = "/dev/net/tun";
    /** Largest MTU a TAP accepts (the kernel caps it at 65535). */
    public static final int MAX_MTU_BYTES = 65535;
    /** Smallest MTU the kernel allows on an Ethernet-type device that carries IPv4 (RFC 791 §3.2: 68). */
    public static final int MIN_MTU_BYTES = 68;
    /**
     * The queue length {@code chimney run} sets. 200 echo connections (bench/run-loss.sh case (c)) made the kernel
     * drop ~3,000 frames at its default of 1000 and 760 at 4096 with 64 frames read per loop turn, none at 8192; a
     * queue costs kernel memory only while the stack lags behind.
     */
    public static final int RECOMMENDED_TX_QUEUE_LENGTH = 8192;
    /** Longest queue accepted (the kernel takes any int, but a ring this long already holds 1.5 GB at MTU 9000). */
    public static final int MAX_TX_QUEUE_LENGTH = 1 << 20;

    public TapOptions {
        Objects.requireNonNull(name, "name (use \"\" to let the kernel choose)");
        Objects.requireNonNull(devicePath, "devicePath");
        validateName(name);
        if (txQueueLength < 0 || txQueueLength > MAX_TX_QUEUE_LENGTH) {
            throw new IllegalArgumentException("txQueueLength must be 0 (keep) or 1.." + MAX_TX_QUEUE_LENGTH
                    + " frames, got " + txQueueLength);
        }
        if (mtuBytes != 0 && (mtuBytes < MIN_MTU_BYTES || mtuBytes > MAX_MTU_BYTES)) {
            throw new IllegalArgumentException("mtuBytes must be 0 (keep) or in [" + MIN_MTU_BYTES + ", "
                    + MAX_MTU_BYTES + "], got " + mtuBytes);
        }
    }

    /** Kernel-chosen name, current MTU and queue length, not persistent, no virtio-net header. */
    public static TapOptions defaults() {
        return new TapOptions("", 0, false, false, DEFAULT_DEVICE_PATH, 0);
    }

    /** Defaults with the given interface name. */
    public static TapOptions named(String name) {
        return defaults().withName(name);
    }

    public TapOptions withName(String newName) {
        return new TapOptions(newName, mtuBytes, persist, vnetHeader, devicePath, txQueueLength);
    }

    public TapOptions withMtu(int newMtuBytes) {
        return new TapOptions(name, newMtuBytes, persist, vnetHeader, devicePath, txQueueLength);
    }

    public TapOptions withPersist(boolean newPersist) {
        return new TapOptions(name, mtuBytes, newPersist, vnetHeader, devicePath, txQueueLength);
    }

    public TapOptions withVnetHeader(boolean newVnetHeader) {
        return new TapOptions(name, mtuBytes, persist, newVnetHeader, devicePath, txQueueLength);
    }

    public TapOptions withDevicePath(String newDevicePath) {
        return new TapOptions(name, mtuBytes, persist, vnetHeader, newDevicePath, txQueueLength);
    }

    /** The kernel's queue towards the stack, in frames (0: keep the interface's). */
    public TapOptions withTxQueueLength(int newTxQueueLength) {
        return new TapOptions(name, mtuBytes, persist, vnetHeader, devicePath, newTxQueueLength);
    }

    /**
     * Linux interface names: 1..15 bytes, no '/', ':', whitespace, not "." or ".." (dev_valid_name in
     * net/core/dev.c). The empty string means "kernel chooses".
     */
    static void validateName(String name) {
        if (name.isEmpty()) {
            return;
        }
        String problem = null;
        if (name.length() > 15) {
            problem = "it has " + name.length() + " characters (at most 15)";
        } else if (name.equals(".") || name.equals("..")) {
            problem = "'.' and '..' are reserved";
        } else {
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x21 || c > 0x7E) {
                    problem = "character '" + c + "' is not allowed";
                    break;
                }
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException("invalid interface name '" + name + "': " + problem
                    + "; use at most 15 characters of [A-Za-z0-9_.-], or \"\" to let the kernel choose");
        }
    }
}
