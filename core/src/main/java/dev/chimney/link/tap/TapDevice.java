package dev.chimney.link.tap;

import dev.chimney.link.FrameSink;
import dev.chimney.link.LinkOffloads;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.ffm.LibC;
import dev.chimney.link.ffm.NetNamespace;
import dev.chimney.link.ffm.PollWaiter;
import dev.chimney.wire.MacAddress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A Linux TAP interface ({@code /dev/net/tun} with {@code IFF_TAP | IFF_NO_PI}) as a {@link NetworkPort}: every
 * read(2) returns one Ethernet frame the kernel sent out of the interface, every write(2) injects one frame as if
 * it had arrived on the wire.
 *
 * <p>The descriptor is non-blocking. {@link #receive} reads until the device is empty or the budget is spent;
 * {@link #awaitReadable} blocks in ppoll(2) so an event loop can sleep until a frame arrives or its next timer is
 * due. All buffers (receive, transmit, ifreq, pollfd, errno capture) are allocated once per device, so the data
 * path neither allocates native memory nor takes locks. Like every port, a device is owned by one event loop
 * thread; only opening may happen on another thread ({@link #openInNamespace}).
 *
 * <p>With {@link TapOptions#vnetHeader()} every frame is preceded by a {@link VirtioNetHeader}: on receive,
 * {@link #rxVnetHeader()} shows the current frame's header during the sink call; {@link #transmit(VirtioNetHeader,
 * MemorySegment)} sends one (plain {@link #transmit(MemorySegment)} sends {@link VirtioNetHeader#NONE}).
 */
public final class TapDevice implements NetworkPort {
    /** Ethernet header plus one 802.1Q tag: what a frame may add to the MTU. */
    private static final int L2_OVERHEAD_BYTES = 14 + 4;
    private static final int MIN_FRAME_BYTES = 14;
    /** Buffer for the largest frame a TAP can carry: 64 KiB GSO super-frames or MTU 65535 plus headers. */
    private static final int MAX_FRAME_BYTES = TapOptions.MAX_MTU_BYTES + L2_OVERHEAD_BYTES;
    /** The TCP checksum field's offset in the TCP header (RFC 9293 §3.1). */
    private static final int TCP_CHECKSUM_OFFSET = 16;
    private static final LinkOffloads OFFLOADS = new LinkOffloads(MAX_FRAME_BYTES, true, true);
    /**
     * Frames the loop owning a TAP should read per turn ({@link dev.chimney.runtime.EventLoop#pollBudget}). Between
     * two batches the loop runs up to 64 commands (socket calls, each of which may write 64 KiB); with 64 frames per
     * turn 200 echo connections made the kernel drop ~3,000 frames at its default queue of 1000, with 1024 none
     * (bench/run-loss.sh case (c), bench/THROUGHPUT.md). A turn of 1024 frames takes about a millisecond.
     */
    public static final int RECOMMENDED_POLL_BUDGET = 1024;

    private final String name;
    private final String netns;
    private final int fd;
    /** AF_INET datagram socket in the device's namespace, for SIOC* interface ioctls. */
    private final int controlFd;
    private final boolean vnet;
    private final int headerBytes;
    private final Arena arena;
    private final MemorySegment errnoState;
    private final MemorySegment rxBuffer;
    private final MemorySegment rxHeader;
    /**
     * Slices of rxBuffer by frame length, made on first use: handing the sink a cached slice keeps receive free of
     * allocation without relying on escape analysis (a few distinct lengths dominate real traffic; the array costs
     * 4-8 bytes per possible length).
     */
    private final MemorySegment[] rxSlices = new MemorySegment[MAX_FRAME_BYTES + 1];
    private final MemorySegment txBuffer;
    private final MemorySegment txHeader;
    /** Two struct iovec for writev(2): the virtio-net header, then the caller's (native) frame. */
    private final MemorySegment txIov;
    private final MemorySegment pollFd;
    private final MemorySegment timeout;
    private final MemorySegment ifreq;
    /**
     * {@code /proc/thread-self/net/dev} opened in the device's namespace (the file keeps that namespace), so the
     * kernel's counters can be read later from any thread; null if it could not be opened.
     */
    private final FileChannel procNetDev;
    private ByteBuffer procBuffer;
    private int mtuBytes;
    private boolean closed;
    private PollWaiter ioWaiter;

    private long rxFrames;
    private long rxBytes;
    private long rxErrors;
    private long txFrames;
    private long txBytes;
    private long txDropsFull;
    private long txDropsOversize;
    private long txErrors;

    private TapDevice(String name, String netns, int fd, int controlFd, boolean vnet, Arena arena,
                      MemorySegment errnoState, MemorySegment ifreq, FileChannel procNetDev) {
        this.procNetDev = procNetDev;
        this.name = name;
        this.netns = netns;
        this.fd = fd;
        this.controlFd = controlFd;
        this.vnet = vnet;
        this.headerBytes = vnet ? VirtioNetHeader.BYTES : 0;
        this.arena = arena;
        this.errnoState = errnoState;
        this.ifreq = ifreq;
        MemorySegment rx = arena.allocate(headerBytes + MAX_FRAME_BYTES, 64);
        this.rxBuffer = rx;
        this.rxHeader = rx.asSlice(0, headerBytes);
        MemorySegment tx = arena.allocate(headerBytes + MAX_FRAME_BYTES, 64);
        this.txBuffer = tx;
        this.txHeader = tx.asSlice(0, headerBytes);
        this.txIov = arena.allocate(2 * LibC.IOVEC_BYTES, 8);
        txIov.set(ValueLayout.ADDRESS, 0, txHeader);
        txIov.set(ValueLayout.JAVA_LONG, 8, headerBytes);
        this.pollFd = arena.allocate(LibC.POLLFD);
        this.timeout = arena.allocate(LibC.TIMESPEC);
        pollFd.set(ValueLayout.JAVA_INT, LibC.POLLFD_FD_OFFSET, fd);
    }

    /** Opens (creating if needed) a TAP in the caller's network namespace. */
    public static TapDevice open(TapOptions options) {
        return openHere(options, null);
    }

    /**
     * Opens a TAP inside the named network namespace ({@code ip netns add NAME}) without touching the caller's:
     * the interface is created by a helper thread that joined the namespace with setns(2). The device is then used
     * from any one thread as usual.
     */
    public static TapDevice openInNamespace(String netns, TapOptions options) {
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(options, "options");
        return NetNamespace.callIn(netns, () -> openHere(options, netns));
    }

    private static TapDevice openHere(TapOptions options, String netns) {
        Objects.requireNonNull(options, "options");
        Arena arena = Arena.ofShared();
        int fd = -1;
        int controlFd = -1;
        FileChannel procNetDev = null;
        try {
            MemorySegment errnoState = LibC.allocateErrnoState(arena);
            MemorySegment ifreq = arena.allocate(LibC.IFREQ);
            fd = LibC.open(errnoState, arena.allocateFrom(options.devicePath()),
                    LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
            if (fd < 0) {
                throw TapException.openFailed(options.devicePath(), LibC.errno(errnoState));
            }
            short flags = (short) (LibC.IFF_TAP | LibC.IFF_NO_PI | (options.vnetHeader() ? LibC.IFF_VNET_HDR : 0));
            LibC.ifreqName(ifreq, options.name());
            ifreq.set(ValueLayout.JAVA_SHORT, LibC.IFR_FLAGS_OFFSET, flags);
            if (LibC.ioctl(errnoState, fd, LibC.TUNSETIFF, ifreq) < 0) {
                throw TapException.attachFailed(options.devicePath(), options.name(), LibC.errno(errnoState));
            }
            String actualName = LibC.ifreqName(ifreq);
            // Offloads are per device and survive on a persistent TAP, so set them on every attach.
            if (options.vnetHeader()) {
                MemorySegment size = arena.allocateFrom(ValueLayout.JAVA_INT, VirtioNetHeader.BYTES);
                if (LibC.ioctl(errnoState, fd, LibC.TUNSETVNETHDRSZ, size) < 0) {
                    throw TapException.configFailed(TapException.Reason.OFFLOAD_UNSUPPORTED, "TUNSETVNETHDRSZ",
                            actualName, LibC.errno(errnoState));
                }
            }
            long offloads = options.vnetHeader() ? LibC.TUN_F_CSUM | LibC.TUN_F_TSO4 | LibC.TUN_F_TSO6 : 0;
            if (LibC.ioctl(errnoState, fd, LibC.TUNSETOFFLOAD, offloads) < 0) {
                throw TapException.configFailed(TapException.Reason.OFFLOAD_UNSUPPORTED, "TUNSETOFFLOAD",
                        actualName, LibC.errno(errnoState));
            }
            if (options.persist() && LibC.ioctl(errnoState, fd, LibC.TUNSETPERSIST, 1L) < 0) {
                throw TapException.configFailed(TapException.Reason.SYSCALL_FAILED, "TUNSETPERSIST", actualName,
                        LibC.errno(errnoState));
            }
            controlFd = LibC.socket(errnoState, LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
            if (controlFd < 0) {
                throw TapException.configFailed(TapException.Reason.SYSCALL_FAILED, "socket(AF_INET) for ioctls",
                        actualName, LibC.errno(errnoState));
            }
            procNetDev = openProcNetDev();
            TapDevice device = new TapDevice(actualName, netns, fd, controlFd, options.vnetHeader(), arena,
                    errnoState, ifreq, procNetDev);
            if (options.mtuBytes() != 0) {
                device.setMtu(options.mtuBytes());
            } else {
                device.mtuBytes = device.queryMtu();
            }
            if (options.txQueueLength() != 0) {
                device.setTxQueueLength(options.txQueueLength());
            }
            return device;
        } catch (RuntimeException | Error e) {
            try (Arena cleanup = Arena.ofConfined()) {
                MemorySegment state = LibC.allocateErrnoState(cleanup);
                if (controlFd >= 0) {
                    LibC.close(state, controlFd);
                }
                if (fd >= 0) {
                    LibC.close(state, fd);
                }
            }
            if (procNetDev != null) {
                try {
                    procNetDev.close();
                } catch (IOException ignored) {
                    // already failing: the original exception is the one to report
                }
            }
            arena.close();
            throw e;
        }
    }

    /**
     * The calling thread's namespace's {@code /proc/net/dev} (thread-self: {@link #openInNamespace} runs this on a
     * thread that joined the device's namespace; /proc/self/net would show the process's namespace). Null when
     * /proc is not mounted: the counters are then reported as unavailable, never as zeros.
     */
    private static FileChannel openProcNetDev() {
        try {
            return FileChannel.open(Path.of("/proc/thread-self/net/dev"), StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** The network namespace the device was opened in, or null for the caller's own. */
    public String netns() {
        return netns;
    }

    /** The TAP file descriptor, for an external poller (epoll, io_uring); do not read or close it. */
    public int fd() {
        return fd;
    }

    public boolean vnetHeader() {
        return vnet;
    }

    @Override
    public int mtu() {
        return mtuBytes;
    }

    /** Sets the interface MTU (SIOCSIFMTU); frames up to MTU + 18 bytes are then accepted by transmit. */
    public void setMtu(int newMtuBytes) {
        if (newMtuBytes < TapOptions.MIN_MTU_BYTES || newMtuBytes > TapOptions.MAX_MTU_BYTES) {
            throw new IllegalArgumentException("MTU must be in [" + TapOptions.MIN_MTU_BYTES + ", "
                    + TapOptions.MAX_MTU_BYTES + "], got " + newMtuBytes);
        }
        ensureOpen();
        LibC.ifreqName(ifreq, name);
        ifreq.set(ValueLayout.JAVA_INT, LibC.IFR_MTU_OFFSET, newMtuBytes);
        interfaceIoctl(LibC.SIOCSIFMTU, "SIOCSIFMTU");
        mtuBytes = newMtuBytes;
    }

    /** Reads the MTU the kernel has for the interface now (someone may have changed it with ip link). */
    public int queryMtu() {
        ensureOpen();
        LibC.ifreqName(ifreq, name);
        interfaceIoctl(LibC.SIOCGIFMTU, "SIOCGIFMTU");
        return ifreq.get(ValueLayout.JAVA_INT, LibC.IFR_MTU_OFFSET);
    }

    /**
     * Sets the kernel's queue towards the stack ({@code txqueuelen}, SIOCSIFTXQLEN), in frames: how many frames the
     * kernel holds for the stack before it drops ({@link KernelCounters#txDropped()}).
     */
    public void setTxQueueLength(int frames) {
        if (frames < 1 || frames > TapOptions.MAX_TX_QUEUE_LENGTH) {
            throw new IllegalArgumentException("txQueueLength must be 1.." + TapOptions.MAX_TX_QUEUE_LENGTH
                    + " frames, got " + frames);
        }
        ensureOpen();
        LibC.ifreqName(ifreq, name);
        ifreq.set(ValueLayout.JAVA_INT, LibC.IFR_QLEN_OFFSET, frames);
        interfaceIoctl(LibC.SIOCSIFTXQLEN, "SIOCSIFTXQLEN");
    }

    /** The kernel's queue length towards the stack now (SIOCGIFTXQLEN; {@code ip link} shows it as qlen). */
    public int txQueueLength() {
        ensureOpen();
        LibC.ifreqName(ifreq, name);
        interfaceIoctl(LibC.SIOCGIFTXQLEN, "SIOCGIFTXQLEN");
        return ifreq.get(ValueLayout.JAVA_INT, LibC.IFR_QLEN_OFFSET);
    }

    /**
     * The kernel's counters for this interface now, above all {@link KernelCounters#txDropped()}: frames the kernel
     * dropped because the stack did not drain the TAP in time. Reads /proc (a few microseconds, allocates): for
     * reports and benchmarks, not the data path. Safe from any thread.
     *
     * @throws IllegalStateException if /proc was not readable when the device was opened, or the device is closed
     */
    public synchronized KernelCounters kernelCounters() {
        ensureOpen();
        if (procNetDev == null) {
            throw new IllegalStateException("the kernel counters of " + name + " are unavailable: /proc was not "
                    + "mounted when the device was opened; use 'ip -s link show " + name + "' in its namespace");
        }
        try {
            if (procBuffer == null) {
                procBuffer = ByteBuffer.allocate(16384);
            }
            while (true) {
                procBuffer.clear();
                long position = 0;
                int n;
                while ((n = procNetDev.read(procBuffer, position)) > 0) {
                    position += n;
                    if (!procBuffer.hasRemaining()) {
                        break;
                    }
                }
                if (procBuffer.hasRemaining()) {
                    break;
                }
                procBuffer = ByteBuffer.allocate(procBuffer.capacity() * 2); // many interfaces: read it whole
            }
            procBuffer.flip();
            return KernelCounters.parseProcNetDev(StandardCharsets.US_ASCII.decode(procBuffer).toString(), name);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the kernel counters of " + name + ": " + e.getMessage(), e);
        }
    }

    /** The kernel side's MAC address of the interface (what {@code ip link} shows), not the stack's own. */
    public MacAddress kernelMacAddress() {
        ensureOpen();
        LibC.ifreqName(ifreq, name);
        interfaceIoctl(LibC.SIOCGIFHWADDR, "SIOCGIFHWADDR");
        long bits = 0;
        for (int i = 0; i < 6; i++) {
            bits = (bits << 8) | (ifreq.get(ValueLayout.JAVA_BYTE, LibC.IFR_HWADDR_DATA_OFFSET + i) & 0xFF);
        }
        return new MacAddress(bits);
    }

    /** The interface index in its namespace. */
    public int ifIndex() {
        ensureOpen();
        LibC.ifreqName(ifreq, name);
        interfaceIoctl(LibC.SIOCGIFINDEX, "SIOCGIFINDEX");
        return ifreq.get(ValueLayout.JAVA_INT, LibC.IFR_IFINDEX_OFFSET);
    }

    /** Sets the interface administratively up or down (like {@code ip link set NAME up}). */
    public void setLinkUp(boolean up) {
        ensureOpen();
        LibC.ifreqName(ifreq, name);
        interfaceIoctl(LibC.SIOCGIFFLAGS, "SIOCGIFFLAGS");
        short flags = ifreq.get(ValueLayout.JAVA_SHORT, LibC.IFR_FLAGS_OFFSET);
        flags = (short) (up ? flags | LibC.IFF_UP : flags & ~LibC.IFF_UP);
        ifreq.set(ValueLayout.JAVA_SHORT, LibC.IFR_FLAGS_OFFSET, flags);
        interfaceIoctl(LibC.SIOCSIFFLAGS, "SIOCSIFFLAGS");
    }

    /**
     * Whether the link is up now, as the kernel sees it: administratively up and running (SIOCGIFFLAGS: IFF_UP and
     * IFF_RUNNING). {@code ip link set NAME down} on the kernel side, the way one pulls a cable from a TAP, makes it
     * false. A cheap ioctl, meant to be polled by the loop that owns the device (a NIC's link watch).
     */
    public boolean linkUp() {
        ensureOpen();
        LibC.ifreqName(ifreq, name);
        interfaceIoctl(LibC.SIOCGIFFLAGS, "SIOCGIFFLAGS");
        short flags = ifreq.get(ValueLayout.JAVA_SHORT, LibC.IFR_FLAGS_OFFSET);
        return (flags & LibC.IFF_UP) != 0 && (flags & LibC.IFF_RUNNING) != 0;
    }

    private void interfaceIoctl(long request, String what) {
        if (LibC.ioctl(errnoState, controlFd, request, ifreq) < 0) {
            throw TapException.configFailed(TapException.Reason.SYSCALL_FAILED, what, name, LibC.errno(errnoState));
        }
    }

    /**
     * Sends one frame (no virtio-net offload). Returns false and counts a drop when the device queue is full
     * (EAGAIN), the frame is longer than MTU + 18 bytes or shorter than an Ethernet header, or the port is closed.
     */
    @Override
    public boolean transmit(MemorySegment frame) {
        return transmit(VirtioNetHeader.NONE, frame);
    }

    /**
     * Sends one frame with a virtio-net header (only on a device opened with {@link TapOptions#vnetHeader()}).
     * With a GSO type the frame may be a super-frame of up to 64 KiB which the kernel segments.
     */
    public boolean transmit(VirtioNetHeader header, MemorySegment frame) {
        if (!vnet && header != VirtioNetHeader.NONE && !header.equals(VirtioNetHeader.NONE)) {
            throw new IllegalStateException("device " + name + " was opened without a virtio-net header: open it with"
                    + " TapOptions.withVnetHeader(true) to pass offload metadata");
        }
        return send(header.flags(), header.gsoType(), header.hdrLen(), header.gsoSize(), header.csumStart(),
                header.csumOffset(), frame);
    }

    private boolean send(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset,
            MemorySegment frame) {
        if (closed) {
            txErrors++;
            return false;
        }
        long length = frame.byteSize();
        boolean gso = gsoType != VirtioNetHeader.GSO_NONE;
        if (length < MIN_FRAME_BYTES) {
            txErrors++;
            return false;
        }
        if (length > (gso ? MAX_FRAME_BYTES : mtuBytes + L2_OVERHEAD_BYTES)) {
            txDropsOversize++;
            return false;
        }
        if (vnet) {
            VirtioNetHeader.write(txHeader, flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
        }
        long n;
        if (vnet && frame.isNative()) {
            // header and frame gathered by writev(2): a 64 KiB super-frame is not copied once more in user space
            txIov.set(ValueLayout.ADDRESS, LibC.IOVEC_BYTES, frame);
            txIov.set(ValueLayout.JAVA_LONG, LibC.IOVEC_BYTES + 8, length);
            do {
                n = LibC.writev(errnoState, fd, txIov, 2);
            } while (n < 0 && LibC.errno(errnoState) == LibC.EINTR);
        } else {
            // The kernel reads only native memory: copy heap frames (and place any frame after the header).
            MemorySegment out;
            if (vnet || !frame.isNative()) {
                MemorySegment.copy(frame, 0, txBuffer, headerBytes, length);
                out = txBuffer;
            } else {
                out = frame;
            }
            long total = headerBytes + length;
            do {
                n = LibC.write(errnoState, fd, out, total);
            } while (n < 0 && LibC.errno(errnoState) == LibC.EINTR);
        }
        if (n < 0) {
            if (LibC.errno(errnoState) == LibC.EAGAIN) {
                txDropsFull++;
            } else {
                txErrors++;
            }
            return false;
        }
        txFrames++;
        txBytes += length;
        return true;
    }

    /**
     * With a virtio-net header: TCP segmentation (super-frames up to 64 KiB) and checksum offload both ways, as
     * enabled by {@code TUNSETOFFLOAD(CSUM|TSO4|TSO6)} on open; without one, {@link LinkOffloads#NONE}.
     */
    @Override
    public LinkOffloads offloads() {
        return vnet ? OFFLOADS : LinkOffloads.NONE;
    }

    /**
     * Sends a TCP frame whose checksum (and, when it carries more than {@code segmentPayloadBytes}, whose
     * segmentation) the kernel completes: virtio NEEDS_CSUM with csum_start at the TCP header and csum_offset 16
     * (RFC 9293 §3.1 checksum field), GSO TCPV4/TCPV6 with gso_size = the MSS for a super-frame (virtio 1.x
     * §5.1.6.2). Nothing is allocated.
     */
    @Override
    public boolean transmitSegmented(MemorySegment frame, boolean ipv6, int tcpOffset, int headerBytes,
            int segmentPayloadBytes) {
        if (!vnet) {
            throw new IllegalStateException("device " + name + " was opened without a virtio-net header: open it with"
                    + " TapOptions.withVnetHeader(true) for segmentation offload");
        }
        if (segmentPayloadBytes <= 0 || segmentPayloadBytes > 0xFFFF) {
            throw new IllegalArgumentException("segmentPayloadBytes must be 1..65535, got " + segmentPayloadBytes);
        }
        boolean gso = frame.byteSize() - headerBytes > segmentPayloadBytes;
        return send(VirtioNetHeader.FLAG_NEEDS_CSUM,
                gso ? (ipv6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4) : VirtioNetHeader.GSO_NONE,
                headerBytes, gso ? segmentPayloadBytes : 0, tcpOffset, TCP_CHECKSUM_OFFSET, frame);
    }

    /** The checksum state the kernel put in the current frame's virtio-net header (NEEDS_CSUM / DATA_VALID). */
    @Override
    public int rxChecksumState() {
        if (!vnet) {
            return RX_CHECKSUM_UNKNOWN;
        }
        int flags = VirtioNetHeader.flags(rxHeader);
        if ((flags & VirtioNetHeader.FLAG_NEEDS_CSUM) != 0) {
            return RX_CHECKSUM_PARTIAL;
        }
        return (flags & VirtioNetHeader.FLAG_DATA_VALID) != 0 ? RX_CHECKSUM_VALID : RX_CHECKSUM_UNKNOWN;
    }

    /** gso_size of the current frame when the kernel handed over a GSO super-frame, else 0. */
    @Override
    public int rxSegmentBytes() {
        if (!vnet || (VirtioNetHeader.gsoType(rxHeader) & ~VirtioNetHeader.GSO_ECN) == VirtioNetHeader.GSO_NONE) {
            return 0;
        }
        return VirtioNetHeader.gsoSize(rxHeader);
    }

    /**
     * Reads frames until the device has none left or {@code budget} were delivered. Each frame is a slice of the
     * device's one receive buffer, valid only during {@link FrameSink#onFrame}.
     */
    @Override
    public int receive(FrameSink sink, int budget) {
        if (closed) {
            return 0;
        }
        int delivered = 0;
        while (delivered < budget) {
            long n = LibC.read(errnoState, fd, rxBuffer, rxBuffer.byteSize());
            if (n < 0) {
                int errno = LibC.errno(errnoState);
                if (errno == LibC.EINTR) {
                    continue;
                }
                if (errno != LibC.EAGAIN) {
                    rxErrors++;
                }
                break;
            }
            if (n < headerBytes + MIN_FRAME_BYTES) {
                rxErrors++; // a runt cannot be an Ethernet frame; drop it and keep draining
                continue;
            }
            rxFrames++;
            rxBytes += n - headerBytes;
            delivered++;
            int frameBytes = (int) (n - headerBytes);
            MemorySegment frame = rxSlices[frameBytes];
            if (frame == null) {
                frame = rxBuffer.asSlice(headerBytes, frameBytes);
                rxSlices[frameBytes] = frame;
            }
            sink.onFrame(frame);
        }
        return delivered;
    }

    /**
     * The virtio-net header of the frame being delivered (read it with the static getters of
     * {@link VirtioNetHeader}); valid only during {@link FrameSink#onFrame} on a device with a vnet header.
     */
    public MemorySegment rxVnetHeader() {
        if (!vnet) {
            throw new IllegalStateException("device " + name + " has no virtio-net header: open it with"
                    + " TapOptions.withVnetHeader(true)");
        }
        return rxHeader;
    }

    /**
     * Blocks until a frame can be read or {@code timeoutNs} passes (a negative timeout waits forever, 0 only
     * checks). An event loop passes the time until its next timer.
     *
     * @return true if a frame (or an error condition) is ready; false on timeout or signal
     */
    public boolean awaitReadable(long timeoutNs) {
        ensureOpen();
        pollFd.set(ValueLayout.JAVA_SHORT, LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN);
        pollFd.set(ValueLayout.JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET, (short) 0);
        MemorySegment ts = MemorySegment.NULL;
        if (timeoutNs >= 0) {
            timeout.set(ValueLayout.JAVA_LONG, LibC.TIMESPEC_SEC_OFFSET, timeoutNs / 1_000_000_000L);
            timeout.set(ValueLayout.JAVA_LONG, LibC.TIMESPEC_NSEC_OFFSET, timeoutNs % 1_000_000_000L);
            ts = timeout;
        }
        int rc = LibC.ppoll(errnoState, pollFd, 1, ts);
        if (rc < 0) {
            int errno = LibC.errno(errnoState);
            if (errno == LibC.EINTR) {
                return false;
            }
            throw TapException.configFailed(TapException.Reason.SYSCALL_FAILED, "ppoll", name, errno);
        }
        return rc > 0;
    }

    /**
     * An {@link dev.chimney.runtime.IoWaiter} for the loop that owns this device: the idle loop blocks in ppoll(2)
     * on this TAP and an eventfd, so a frame, a command or the next timer wakes it. One per device, closed with it;
     * for a loop owning several devices use {@link PollWaiter#forDescriptors} with their {@link #fd()}s.
     */
    public PollWaiter ioWaiter() {
        ensureOpen();
        if (ioWaiter == null) {
            ioWaiter = PollWaiter.forDescriptors(fd);
        }
        return ioWaiter;
    }

    public long rxFrames() {
        return rxFrames;
    }

    public long rxBytes() {
        return rxBytes;
    }

    /** Reads that failed with an error other than EAGAIN, or returned a runt. */
    public long rxErrors() {
        return rxErrors;
    }

    public long txFrames() {
        return txFrames;
    }

    public long txBytes() {
        return txBytes;
    }

    /** Frames dropped because the device would block (kernel queue full). */
    public long txDropsFull() {
        return txDropsFull;
    }

    /** Frames dropped because they exceed MTU + 18 bytes (and carry no GSO header). */
    public long txDropsOversize() {
        return txDropsOversize;
    }

    /** Frames rejected by write(2), runts, and sends after close. */
    public long txErrors() {
        return txErrors;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("TAP device " + name + " is closed; open a new TapDevice");
        }
    }

    /** Closes the descriptor; a non-persistent interface disappears with it. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ioWaiter != null) {
            ioWaiter.close();
        }
        LibC.close(errnoState, controlFd);
        LibC.close(errnoState, fd);
        arena.close();
        if (procNetDev != null) {
            try {
                procNetDev.close();
            } catch (IOException ignored) {
                // a read-only /proc file: nothing was lost
            }
        }
    }

    @Override
    public String toString() {
        return "TapDevice[" + name + (netns == null ? "" : " in netns " + netns) + ", mtu " + mtuBytes
                + (vnet ? ", vnet" : "") + "]";
    }
}
