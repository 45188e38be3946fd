package dev.chimney.bench;

import dev.chimney.link.FrameSink;
import dev.chimney.link.ffm.LibC;
import dev.chimney.link.ffm.NetNamespace;
import dev.chimney.link.tap.TapDevice;
import dev.chimney.link.tap.TapOptions;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Frames per second through two TAP devices joined by a Linux bridge, against the same workload on a veth pair
 * with AF_PACKET raw sockets, measured in the same run on the same thread model.
 *
 * <p>One thread writes a batch of frames on the first device and reads them back from the second, repeating for
 * a fixed time per frame size; the two paths alternate over {@value #ROUNDS} rounds and the median round is kept.
 * It also reports heap bytes allocated per frame by the thread (expected 0: the TAP data path is allocation-free
 * once compiled). The veth baseline is what the kernel itself costs for an L2 hop between two
 * user-space endpoints; the ratio says what our TAP path (FFM read/write, a bridge hop) costs relative to it.
 *
 * <p>Needs root. Creates its own network namespace ({@code chy-bench-PID}) and deletes it; the root namespace is
 * never configured. Run with {@code bench/run-tap.sh} or
 * {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.chimney.bench.TapVsVethBench
 * [seconds-per-case]}.
 */
public final class TapVsVethBench {
    /** IEEE 802 local experimental EtherType, so nothing else in the namespace matches the veth receive socket. */
    private static final int ETHERTYPE_EXPERIMENTAL = 0x88B5;
    private static final int BATCH = 32;
    private static final int ROUNDS = 3;
    private static final int[] FRAME_SIZES = {64, 1514};
    private static final long READ_WAIT_NS = 2_000_000L;
    /** Heap bytes allocated by the benchmark thread: the data path should allocate nothing per frame. */
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    private TapVsVethBench() {
    }

    /** Results of one case. */
    record Result(String path, int frameBytes, long written, long read, long elapsedNs, long allocatedBytes) {
        double allocatedBytesPerFrame() {
            return (double) allocatedBytes / Math.max(1, written + read);
        }

        double writtenPerSecond() {
            return written * 1e9 / elapsedNs;
        }

        double readPerSecond() {
            return read * 1e9 / elapsedNs;
        }
    }

    /** Both ends of one path: write a frame on one side, read whatever arrived on the other. */
    interface Path extends AutoCloseable {
        boolean write(MemorySegment frame);

        /** Reads what is there (up to budget), waiting at most waitNs for the first frame; returns the count. */
        int read(int budget, long waitNs);

        @Override
        void close();
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3.0;
        String ns = "chy-bench-" + ProcessHandle.current().pid();
        List<Result> results = new ArrayList<>();
        sh("ip", "netns", "add", ns);
        try {
            setUpNamespace(ns);
            // Alternate the two paths over several rounds and keep each case's median round: the machine is
            // shared, and interleaving spreads background load over both sides of the ratio.
            try (Path tap = tapPath(ns); Path veth = vethPath(ns)) {
                for (int size : FRAME_SIZES) {
                    List<Result> tapRounds = new ArrayList<>();
                    List<Result> vethRounds = new ArrayList<>();
                    for (int round = 0; round < ROUNDS; round++) {
                        tapRounds.add(measure("tap+bridge", tap, size, seconds));
                        vethRounds.add(measure("veth+AF_PACKET", veth, size, seconds));
                    }
                    results.add(median(tapRounds));
                    results.add(median(vethRounds));
                }
            }
        } finally {
            sh("ip", "netns", "delete", ns);
        }
        print(results);
    }

    private static void setUpNamespace(String ns) throws IOException, InterruptedException {
        // No IPv6 in the namespace: no NDP/MLD chatter on either path, only the benchmark's frames.
        inNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
        inNs(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
        inNs(ns, "ip", "link", "set", "lo", "up");
        inNs(ns, "ip", "link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0");
        inNs(ns, "ip", "link", "set", "br0", "up");
        inNs(ns, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
        inNs(ns, "ip", "link", "set", "veth0", "up");
        inNs(ns, "ip", "link", "set", "veth1", "up");
    }

    private static Result measure(String name, Path path, int frameBytes, double seconds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment frame = frame(arena, frameBytes);
            run(path, frame, (long) (1e9)); // warm-up: JIT (C2 must inline the sink), bridge learning, buffers
            long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
            long start = System.nanoTime();
            long[] counts = run(path, frame, (long) (seconds * 1e9));
            long elapsed = System.nanoTime() - start;
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
            return new Result(name, frameBytes, counts[0], counts[1], elapsed, allocated);
        }
    }

    /** Writes batches and reads them back until durationNs passes; returns {written, read}. */
    private static long[] run(Path path, MemorySegment frame, long durationNs) {
        long written = 0;
        long read = 0;
        long end = System.nanoTime() + durationNs;
        while (System.nanoTime() < end) {
            int sent = 0;
            for (int i = 0; i < BATCH; i++) {
                if (path.write(frame)) {
                    sent++;
                }
            }
            written += sent;
            int got = 0;
            while (got < sent) {
                int n = path.read(sent - got, READ_WAIT_NS);
                if (n == 0) {
                    break; // lost in the kernel (queue full): counted as written, not read
                }
                got += n;
            }
            read += got;
        }
        path.read(Integer.MAX_VALUE, READ_WAIT_NS); // drain stragglers so the next case starts empty
        return new long[] {written, read};
    }

    /** Unicast from 02:..:01 to 02:..:02 (never a source, so the bridge floods it to the other port). */
    private static MemorySegment frame(Arena arena, int frameBytes) {
        MemorySegment f = arena.allocate(frameBytes);
        byte[] header = {2, 0, 0, 0x77, 0, 2, 2, 0, 0, 0x77, 0, 1,
            (byte) (ETHERTYPE_EXPERIMENTAL >>> 8), (byte) ETHERTYPE_EXPERIMENTAL};
        MemorySegment.copy(header, 0, f, ValueLayout.JAVA_BYTE, 0, header.length);
        for (int i = header.length; i < frameBytes; i++) {
            f.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        return f;
    }

    // ---- TAP path ----

    private static Path tapPath(String ns) throws IOException, InterruptedException {
        TapDevice in = TapDevice.openInNamespace(ns, TapOptions.named("tap1"));
        TapDevice out = TapDevice.openInNamespace(ns, TapOptions.named("tap2"));
        inNs(ns, "ip", "link", "set", "tap1", "master", "br0", "up");
        inNs(ns, "ip", "link", "set", "tap2", "master", "br0", "up");
        return new Path() {
            private int received;
            private final FrameSink sink = frame -> received++;

            @Override
            public boolean write(MemorySegment frame) {
                return in.transmit(frame);
            }

            @Override
            public int read(int budget, long waitNs) {
                received = 0;
                int n = out.receive(sink, budget);
                if (n == 0 && out.awaitReadable(waitNs)) {
                    n = out.receive(sink, budget);
                }
                return n;
            }

            @Override
            public void close() {
                in.close();
                out.close();
            }
        };
    }

    // ---- veth + AF_PACKET path ----

    private static Path vethPath(String ns) {
        return NetNamespace.callIn(ns, () -> {
            RawSocket tx = RawSocket.open("veth0", 0);
            RawSocket rx = RawSocket.open("veth1", ETHERTYPE_EXPERIMENTAL);
            return new Path() {
                @Override
                public boolean write(MemorySegment frame) {
                    return tx.send(frame);
                }

                @Override
                public int read(int budget, long waitNs) {
                    int n = rx.drain(budget);
                    if (n == 0 && rx.awaitReadable(waitNs)) {
                        n = rx.drain(budget);
                    }
                    return n;
                }

                @Override
                public void close() {
                    tx.close();
                    rx.close();
                }
            };
        });
    }

    /**
     * A non-blocking AF_PACKET SOCK_RAW socket bound to one interface; protocol 0 sends only, a non-zero
     * EtherType also receives frames of that type.
     */
    static final class RawSocket implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment errno = LibC.allocateErrnoState(arena);
        private final MemorySegment address = arena.allocate(LibC.SOCKADDR_LL);
        private final MemorySegment buffer = arena.allocate(65536);
        private final MemorySegment pollFd = arena.allocate(LibC.POLLFD);
        private final MemorySegment timeout = arena.allocate(LibC.TIMESPEC);
        private final int fd;

        private RawSocket(String ifName, int etherType) {
            short protocol = LibC.htons(etherType);
            fd = LibC.socket(errno, LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC,
                    protocol & 0xFFFF);
            if (fd < 0) {
                throw new IllegalStateException("socket(AF_PACKET) failed: " + LibC.strerror(LibC.errno(errno))
                        + " (needs CAP_NET_RAW: run as root)");
            }
            int ifIndex = ifIndex(ifName);
            address.set(ValueLayout.JAVA_SHORT, LibC.SLL_FAMILY_OFFSET, (short) LibC.AF_PACKET);
            address.set(ValueLayout.JAVA_SHORT, LibC.SLL_PROTOCOL_OFFSET, protocol);
            address.set(ValueLayout.JAVA_INT, LibC.SLL_IFINDEX_OFFSET, ifIndex);
            if (LibC.bind(errno, fd, address, (int) LibC.SOCKADDR_LL.byteSize()) < 0) {
                throw new IllegalStateException("bind(AF_PACKET, " + ifName + ") failed: "
                        + LibC.strerror(LibC.errno(errno)));
            }
            pollFd.set(ValueLayout.JAVA_INT, LibC.POLLFD_FD_OFFSET, fd);
        }

        static RawSocket open(String ifName, int etherType) {
            return new RawSocket(ifName, etherType);
        }

        private int ifIndex(String ifName) {
            MemorySegment ifreq = arena.allocate(LibC.IFREQ);
            LibC.ifreqName(ifreq, ifName);
            if (LibC.ioctl(errno, fd, LibC.SIOCGIFINDEX, ifreq) < 0) {
                throw new IllegalStateException("no interface " + ifName + ": " + LibC.strerror(LibC.errno(errno)));
            }
            return ifreq.get(ValueLayout.JAVA_INT, LibC.IFR_IFINDEX_OFFSET);
        }

        boolean send(MemorySegment frame) {
            return LibC.sendto(errno, fd, frame, frame.byteSize(), 0, address, (int) LibC.SOCKADDR_LL.byteSize())
                    >= 0;
        }

        int drain(int budget) {
            int n = 0;
            while (n < budget && LibC.recv(errno, fd, buffer, buffer.byteSize(), LibC.MSG_DONTWAIT) > 0) {
                n++;
            }
            return n;
        }

        boolean awaitReadable(long waitNs) {
            pollFd.set(ValueLayout.JAVA_SHORT, LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN);
            pollFd.set(ValueLayout.JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET, (short) 0);
            timeout.set(ValueLayout.JAVA_LONG, LibC.TIMESPEC_SEC_OFFSET, waitNs / 1_000_000_000L);
            timeout.set(ValueLayout.JAVA_LONG, LibC.TIMESPEC_NSEC_OFFSET, waitNs % 1_000_000_000L);
            return LibC.ppoll(errno, pollFd, 1, timeout) > 0;
        }

        @Override
        public void close() {
            LibC.close(errno, fd);
            arena.close();
        }
    }

    // ---- output ----

    private static void print(List<Result> results) {
        System.out.println("TAP (two TAPs + Linux bridge) vs veth pair + AF_PACKET; one thread, batches of " + BATCH
                + ", median of " + ROUNDS + " alternating rounds, JDK " + Runtime.version());
        System.out.printf(Locale.ROOT, "%-16s %6s %14s %14s %8s %12s%n", "path", "bytes", "written/s", "read/s",
                "lost", "alloc B/frame");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-16s %6d %,14.0f %,14.0f %8d %12.2f%n", r.path(), r.frameBytes(),
                    r.writtenPerSecond(), r.readPerSecond(), r.written() - r.read(), r.allocatedBytesPerFrame());
        }
        for (int size : FRAME_SIZES) {
            Result tap = find(results, "tap+bridge", size);
            Result veth = find(results, "veth+AF_PACKET", size);
            System.out.printf(Locale.ROOT, "ratio TAP/veth at %4d bytes: written %.2f, read %.2f%n", size,
                    tap.writtenPerSecond() / veth.writtenPerSecond(), tap.readPerSecond() / veth.readPerSecond());
        }
    }

    private static Result median(List<Result> rounds) {
        List<Result> sorted = new ArrayList<>(rounds);
        sorted.sort(java.util.Comparator.comparingDouble(Result::readPerSecond));
        return sorted.get(sorted.size() / 2);
    }

    private static Result find(List<Result> results, String path, int size) {
        return results.stream().filter(r -> r.path().equals(path) && r.frameBytes() == size).findFirst()
                .orElseThrow();
    }

    // ---- shell ----

    private static void inNs(String ns, String... cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(cmd));
        sh(full.toArray(String[]::new));
    }

    private static void sh(String... cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("timeout", "20"));
        full.addAll(List.of(cmd));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
        }
    }
}
