package dev.chimney.ip;

import dev.chimney.runtime.Timer;
import dev.chimney.runtime.TimerQueue;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * Reassembles fragmented IP datagrams of one family: IPv4 (RFC 791 §3.2, keyed by source, destination, protocol
 * and identification) or IPv6 (RFC 8200 §4.5, keyed by source, destination and identification).
 *
 * <p>Overlaps: any fragment that overlaps another without being its exact duplicate drops the whole datagram.
 * For IPv6 this is RFC 5722 §4 (with its erratum 3089: exact duplicates are ignored, since a network may duplicate
 * packets). IPv4 (RFC 791) would allow overlaps, but honest senders never produce them while overlap attacks use
 * them to rewrite transport headers past filters (RFC 1858 §4); dropping is the safe reading and costs nothing to
 * correct peers.
 *
 * <p>Limits (explicit, fail closed): at most {@code maxDatagrams} datagrams in reassembly (a new one evicts the
 * oldest), at most {@code maxBytes} fragment bytes held in total, at most {@code maxFragments} fragments per
 * datagram, and no datagram beyond 65535 bytes. Each datagram is dropped after {@code timeoutNs} from its first
 * fragment (RFC 8200 §4.5: 60 s; RFC 791 suggests 15 s as the lower bound for IPv4; we default to 30 s).
 *
 * <p>Buffers are allocated once per slot (lazily, 64 KiB each) and reused; offering a fragment allocates nothing.
 */
public final class FragmentReassembler {

    /** Outcome of {@link #offer}. */
    public enum Result {
        /** Stored; the datagram is not complete yet. */
        PENDING,
        /** The datagram is complete: read it from {@link #completedPayload()} before the next offer. */
        COMPLETE,
        /** The fragment (and possibly its datagram) was dropped; the reason was counted. */
        DROPPED
    }

    /**
     * Reassembly limits.
     *
     * @param maxDatagrams datagrams in reassembly at once
     * @param maxBytes     fragment payload bytes held over all datagrams
     * @param maxFragments fragments per datagram
     * @param timeoutNs    time from the first fragment until an incomplete datagram is dropped
     */
    public record Config(int maxDatagrams, int maxBytes, int maxFragments, long timeoutNs) {
        public Config {
            if (maxDatagrams < 1 || maxBytes < 1 || maxFragments < 2 || timeoutNs <= 0) {
                throw new IllegalArgumentException("reassembly limits must be positive (maxFragments >= 2), got "
                        + maxDatagrams + ", " + maxBytes + ", " + maxFragments + ", " + timeoutNs + "ns");
            }
        }

        /** 16 datagrams, 256 KiB, 64 fragments each, 30 s. */
        public static Config ipv4Defaults() {
            return new Config(16, 256 * 1024, 64, Duration.ofSeconds(30).toNanos());
        }

        /** 16 datagrams, 256 KiB, 64 fragments each, 60 s (RFC 8200 §4.5). */
        public static Config ipv6Defaults() {
            return new Config(16, 256 * 1024, 64, Duration.ofSeconds(60).toNanos());
        }
    }

    /** Largest reassembled payload: an IPv4 total length / IPv6 payload length field is 16 bits. */
    public static final int MAX_DATAGRAM_BYTES = 65535;

    private final Config config;
    private final boolean protocolInKey;
    private final TimerQueue timers;
    private final IpCounters counters;
    private final Slot[] slots;
    private int bytesHeld;
    private long arrivalSequence;
    private MemorySegment completed;
    private TimeoutListener timeoutListener;
    /** Longest first-fragment header kept for a time-exceeded quote (IPv6 header plus some extension headers). */
    static final int MAX_KEPT_HEADER_BYTES = 256;
    private int completedProtocol;

    /**
     * @param ipv4 true for IPv4 (the protocol is part of the key), false for IPv6
     */
    public FragmentReassembler(boolean ipv4, Config config, TimerQueue timers, IpCounters counters) {
        this.config = config;
        this.protocolInKey = ipv4;
        this.timers = timers;
        this.counters = counters;
        this.slots = new Slot[config.maxDatagrams()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(config.maxFragments());
        }
    }

    public Config config() {
        return config;
    }

    /** Datagrams currently in reassembly. */
    public int inProgress() {
        int n = 0;
        for (Slot s : slots) {
            n += s.used ? 1 : 0;
        }
        return n;
    }

    /** Fragment payload bytes currently held. */
    public int bytesHeld() {
        return bytesHeld;
    }

    /** The payload of the datagram {@link #offer} just completed; valid until the next offer. */
    public MemorySegment completedPayload() {
        return completed;
    }

    /** The upper-layer protocol (IPv4 protocol, or IPv6 next header of the offset-0 fragment) of that datagram. */
    public int completedProtocol() {
        return completedProtocol;
    }

    /**
     * Adds one fragment. Addresses are raw bits (IPv4 in {@code srcLo}/{@code dstLo}, high words 0).
     *
     * @param protocol      IPv4 protocol, or the IPv6 fragment header's next header
     * @param id            identification (16 bits for IPv4, 32 for IPv6)
     * @param offsetBytes   fragment offset × 8
     * @param moreFragments the M flag
     * @param payload       the fragment's data (after the IPv4 header / IPv6 fragment header)
     */
    public Result offer(long srcHi, long srcLo, long dstHi, long dstLo, int protocol, long id, int offsetBytes,
            boolean moreFragments, MemorySegment payload, long nowNs) {
        return offer(srcHi, srcLo, dstHi, dstLo, protocol, id, offsetBytes, moreFragments, payload, null, nowNs);
    }

    /**
     * As {@link #offer(long, long, long, long, int, long, int, boolean, MemorySegment, long)}, also keeping the IP
     * header (with any extension headers up to the fragment header) of the offset-0 fragment, so that a timeout can
     * be reported to its sender with an ICMP time exceeded that quotes it (RFC 8200 §4.5, RFC 792).
     *
     * @param firstHeader the IP header bytes in front of the fragment data, or null (kept only for offset 0)
     */
    public Result offer(long srcHi, long srcLo, long dstHi, long dstLo, int protocol, long id, int offsetBytes,
            boolean moreFragments, MemorySegment payload, MemorySegment firstHeader, long nowNs) {
        completed = null;
        counters.increment(IpCounter.FRAG_RECEIVED);
        int length = (int) payload.byteSize();
        int end = offsetBytes + length;
        if (end > MAX_DATAGRAM_BYTES || (moreFragments && (length == 0 || (length & 7) != 0))) {
            // RFC 8200 §4.5: non-final fragments are multiples of 8 bytes; nothing may reach past 65535.
            counters.increment(IpCounter.FRAG_DROP_MALFORMED);
            return Result.DROPPED;
        }
        Slot s = find(srcHi, srcLo, dstHi, dstLo, protocol, id);
        if (s == null) {
            s = allocate(nowNs);
            s.srcHi = srcHi;
            s.srcLo = srcLo;
            s.dstHi = dstHi;
            s.dstLo = dstLo;
            s.keyProtocol = protocolInKey ? protocol : -1;
            s.id = id;
            s.startedNs = nowNs;
            timers.schedule(s.timer, nowNs + config.timeoutNs());
        }
        // Consistency with what we know of the datagram's end.
        if (s.totalBytes >= 0 && (end > s.totalBytes || !moreFragments && end != s.totalBytes)) {
            counters.increment(IpCounter.FRAG_DROP_MALFORMED);
            release(s);
            return Result.DROPPED;
        }
        if (!moreFragments && end < s.maxEnd) {
            counters.increment(IpCounter.FRAG_DROP_MALFORMED);
            release(s);
            return Result.DROPPED;
        }
        for (int i = 0; i < s.count; i++) {
            int a = s.starts[i];
            int b = s.ends[i];
            if (a == offsetBytes && b == end) {
                counters.increment(IpCounter.FRAG_DROP_DUPLICATE);
                return Result.PENDING;
            }
            if (offsetBytes < b && a < end) {
                counters.increment(IpCounter.FRAG_DROP_OVERLAP);
                release(s);
                return Result.DROPPED;
            }
        }
        if (s.count == s.starts.length) {
            counters.increment(IpCounter.FRAG_DROP_LIMIT);
            release(s);
            return Result.DROPPED;
        }
        if (!makeRoom(s, length)) {
            counters.increment(IpCounter.FRAG_DROP_LIMIT);
            release(s);
            return Result.DROPPED;
        }
        if (s.buffer == null) {
            s.buffer = MemorySegment.ofArray(new byte[MAX_DATAGRAM_BYTES]);
        }
        MemorySegment.copy(payload, 0, s.buffer, offsetBytes, length);
        s.starts[s.count] = offsetBytes;
        s.ends[s.count] = end;
        s.count++;
        s.received += length;
        bytesHeld += length;
        s.held += length;
        s.maxEnd = Math.max(s.maxEnd, end);
        if (offsetBytes == 0) {
            s.payloadProtocol = protocol;
            if (firstHeader != null && firstHeader.byteSize() <= MAX_KEPT_HEADER_BYTES) {
                MemorySegment.copy(firstHeader, 0, s.header, 0, firstHeader.byteSize());
                s.headerBytes = (int) firstHeader.byteSize();
            }
        }
        if (!moreFragments) {
            s.totalBytes = end;
        }
        if (s.totalBytes >= 0 && s.received == s.totalBytes && s.payloadProtocol >= 0) {
            counters.increment(IpCounter.FRAG_REASSEMBLED);
            completed = s.buffer.asSlice(0, s.totalBytes);
            completedProtocol = s.payloadProtocol;
            release(s); // the buffer keeps its bytes until the slot is reused by a later offer
            return Result.COMPLETE;
        }
        return Result.PENDING;
    }

    private Slot find(long srcHi, long srcLo, long dstHi, long dstLo, int protocol, long id) {
        int keyProtocol = protocolInKey ? protocol : -1;
        for (Slot s : slots) {
            if (s.used && s.id == id && s.srcLo == srcLo && s.dstLo == dstLo && s.srcHi == srcHi
                    && s.dstHi == dstHi && s.keyProtocol == keyProtocol) {
                return s;
            }
        }
        return null;
    }

    private Slot allocate(long nowNs) {
        Slot oldest = null;
        for (Slot s : slots) {
            if (!s.used) {
                s.used = true;
                s.sequence = arrivalSequence++;
                return s;
            }
            if (oldest == null || s.sequence < oldest.sequence) {
                oldest = s;
            }
        }
        // All slots busy: the oldest datagram gives way (it is the likeliest to be lost or an attack remnant).
        counters.increment(IpCounter.FRAG_DROP_LIMIT);
        release(oldest);
        oldest.used = true;
        oldest.sequence = arrivalSequence++;
        return oldest;
    }

    /** Evicts the oldest other datagrams until {@code length} more bytes fit; false if they cannot. */
    private boolean makeRoom(Slot keep, int length) {
        while (bytesHeld + length > config.maxBytes()) {
            Slot oldest = null;
            for (Slot s : slots) {
                if (s.used && s != keep && (oldest == null || s.sequence < oldest.sequence)) {
                    oldest = s;
                }
            }
            if (oldest == null) {
                return false;
            }
            counters.increment(IpCounter.FRAG_DROP_LIMIT);
            release(oldest);
        }
        return true;
    }

    private void release(Slot s) {
        timers.cancel(s.timer);
        bytesHeld -= s.held;
        s.reset();
    }

    private void onTimeout(Slot s) {
        if (s.used) {
            counters.increment(IpCounter.FRAG_DROP_TIMEOUT);
            if (s.headerBytes > 0 && timeoutListener != null) {
                // RFC 8200 §4.5 / RFC 1122 §3.3.2: with fragment zero in hand, tell the source reassembly timed out.
                int dataBytes = 0;
                for (int i = 0; i < s.count; i++) {
                    if (s.starts[i] == 0) {
                        dataBytes = s.ends[i];
                    }
                }
                timeoutListener.onReassemblyTimeout(s.header.asSlice(0, s.headerBytes), s.buffer.asSlice(0,
                        dataBytes));
            }
            release(s);
        }
    }

    /** Told when a datagram whose first fragment arrived times out (to send ICMP time exceeded, code 1). */
    @FunctionalInterface
    public interface TimeoutListener {
        /**
         * @param firstHeader the IP header of the first fragment as received (valid during the call)
         * @param firstData   that fragment's data (valid during the call)
         */
        void onReassemblyTimeout(MemorySegment firstHeader, MemorySegment firstData);
    }

    /** Sets who hears about timed-out datagrams whose first fragment had arrived. */
    public void timeoutListener(TimeoutListener listener) {
        this.timeoutListener = listener;
    }

    private final class Slot {
        final int[] starts;
        final int[] ends;
        final Timer timer;
        boolean used;
        long sequence;
        long srcHi;
        long srcLo;
        long dstHi;
        long dstLo;
        int keyProtocol;
        int payloadProtocol = -1;
        long id;
        long startedNs;
        int count;
        int received;
        int held;
        int maxEnd;
        int totalBytes = -1;
        MemorySegment buffer;
        final MemorySegment header = MemorySegment.ofArray(new byte[MAX_KEPT_HEADER_BYTES]);
        int headerBytes;

        Slot(int maxFragments) {
            starts = new int[maxFragments];
            ends = new int[maxFragments];
            timer = new Timer() {
                @Override
                protected void onExpired(long nowNs) {
                    onTimeout(Slot.this);
                }
            };
        }

        void reset() {
            used = false;
            headerBytes = 0;
            count = 0;
            received = 0;
            held = 0;
            maxEnd = 0;
            totalBytes = -1;
            payloadProtocol = -1;
        }
    }
}
