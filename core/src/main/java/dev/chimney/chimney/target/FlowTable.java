package dev.chimney.chimney.target;

/**
 * The target's receive demultiplexer (spec §2.13, R-TREE-10): offloaded connections by 4-tuple, found from header
 * fields alone. Keys are raw address bits (IPv4 in {@code lo}, IPv6 as hi/lo) so a lookup allocates nothing; the
 * buckets chain through {@link TargetConnection#nextInBucket}. Owned by the target loop.
 */
final class FlowTable {
    private TargetConnection[] buckets = new TargetConnection[256];
    private int size;

    int size() {
        return size;
    }

    /** The connection whose local end is (localHi/localLo, localPort) and remote end (remoteHi/remoteLo, remotePort). */
    TargetConnection find(boolean v6, long localHi, long localLo, int localPort, long remoteHi, long remoteLo,
            int remotePort) {
        int h = hash(localHi, localLo, localPort, remoteHi, remoteLo, remotePort);
        for (TargetConnection c = buckets[h & (buckets.length - 1)]; c != null; c = c.nextInBucket) {
            if (c.localPort == localPort && c.remotePort == remotePort && c.localLo == localLo
                    && c.remoteLo == remoteLo && c.localHi == localHi && c.remoteHi == remoteHi && c.v6 == v6) {
                return c;
            }
        }
        return null;
    }

    void add(TargetConnection c) {
        if (size + 1 > buckets.length / 2) {
            grow();
        }
        int i = hash(c.localHi, c.localLo, c.localPort, c.remoteHi, c.remoteLo, c.remotePort) & (buckets.length - 1);
        c.nextInBucket = buckets[i];
        buckets[i] = c;
        size++;
    }

    void remove(TargetConnection c) {
        int i = hash(c.localHi, c.localLo, c.localPort, c.remoteHi, c.remoteLo, c.remotePort) & (buckets.length - 1);
        TargetConnection prev = null;
        for (TargetConnection x = buckets[i]; x != null; prev = x, x = x.nextInBucket) {
            if (x == c) {
                if (prev == null) {
                    buckets[i] = x.nextInBucket;
                } else {
                    prev.nextInBucket = x.nextInBucket;
                }
                x.nextInBucket = null;
                size--;
                return;
            }
        }
    }

    private void grow() {
        TargetConnection[] old = buckets;
        buckets = new TargetConnection[old.length * 2];
        size = 0;
        for (TargetConnection head : old) {
            TargetConnection c = head;
            while (c != null) {
                TargetConnection next = c.nextInBucket;
                add(c);
                c = next;
            }
        }
    }

    private static int hash(long localHi, long localLo, int localPort, long remoteHi, long remoteLo, int remotePort) {
        long x = localLo * 0x9E37_79B9_7F4A_7C15L ^ remoteLo * 0xC2B2_AE3D_27D4_EB4FL ^ (localHi ^ remoteHi << 1)
                ^ ((long) localPort << 16 | remotePort) * 0x1656_67B1_9E37_79F9L;
        return (int) (x ^ x >>> 29 ^ x >>> 47);
    }
}
