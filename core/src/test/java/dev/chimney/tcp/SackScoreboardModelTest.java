package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.tcp.SackScoreboard.Rule;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The scoreboard against a brute-force model: one boolean per outstanding octet, RFC 6675's definitions applied
 * octet by octet, over random send / ACK / SACK / recovery / RTO sequences placed across the 2^32 wrap.
 */
class SackScoreboardModelTest {

    private static final int SPACE = 16_000;
    private static final int[] CAPACITIES = {1, 2, 4, 32};

    /** The byte-bitmap model. Offsets are relative to {@code base}; SACK state is meaningful in [ack, highData). */
    private static final class Model {
        final int base;
        final int smss;
        final int capacity;
        final boolean[] sacked = new boolean[SPACE + 1000];
        int ack;
        int highData;

        Model(final int base, final int smss, final int capacity) {
            this.base = base;
            this.smss = smss;
            this.capacity = capacity;
        }

        int off(final int seq) {
            return seq - base;
        }

        /** Maximal SACKed runs in [ack, highData) as {start, end} offset pairs, ascending. */
        List<int[]> runs() {
            final List<int[]> runs = new ArrayList<>();
            int o = ack;
            while (o < highData) {
                if (sacked[o]) {
                    final int start = o;
                    while (o < highData && sacked[o]) {
                        o++;
                    }
                    runs.add(new int[] {start, o});
                } else {
                    o++;
                }
            }
            return runs;
        }

        long update(final int ackOff, final int[] edges, final int count) {
            if (ackOff > highData) {
                return -1;
            }
            ack = Math.max(ack, ackOff);
            long newly = 0;
            for (int i = 0; i < count; i++) {
                final int l = off(edges[2 * i]);
                final int r = off(edges[2 * i + 1]);
                if (l >= r || r > highData || r <= ack) {
                    continue;
                }
                for (int o = Math.max(l, ack); o < r; o++) {
                    if (!sacked[o]) {
                        sacked[o] = true;
                        newly++;
                    }
                }
                List<int[]> runs = runs();
                while (runs.size() > capacity) {
                    final int[] highest = runs.getLast();
                    for (int o = highest[0]; o < highest[1]; o++) {
                        sacked[o] = false;
                    }
                    runs = runs();
                }
            }
            return newly;
        }

        boolean isLost(final int o) {
            if (o < ack || o >= highData || sacked[o]) {
                return false;
            }
            int ranges = 0;
            long bytes = 0;
            boolean previous = false;
            for (int x = o + 1; x < highData; x++) {
                if (sacked[x]) {
                    bytes++;
                    if (!previous) {
                        ranges++;
                    }
                }
                previous = sacked[x];
            }
            return ranges >= SackScoreboard.DUP_THRESH || bytes > (long) (SackScoreboard.DUP_THRESH - 1) * smss;
        }

        long pipe(final int highRxtOff) {
            long pipe = 0;
            final boolean[] lost = lostMap();
            for (int o = ack; o < highData; o++) {
                if (!sacked[o]) {
                    pipe += (lost[o] ? 0 : 1) + (o < highRxtOff ? 1 : 0);
                }
            }
            return pipe;
        }

        /** IsLost for every offset in one backwards pass (the per-octet definition, just computed faster). */
        boolean[] lostMap() {
            final boolean[] lost = new boolean[highData + 1];
            int ranges = 0;
            long bytes = 0;
            for (int o = highData - 1; o >= ack; o--) {
                if (sacked[o]) {
                    bytes++;
                    if (o + 1 >= highData || !sacked[o + 1]) {
                        ranges++;
                    }
                } else {
                    lost[o] = ranges >= SackScoreboard.DUP_THRESH
                            || bytes > (long) (SackScoreboard.DUP_THRESH - 1) * smss;
                }
            }
            return lost;
        }

        int highestSackedEnd() {
            for (int o = highData - 1; o >= ack; o--) {
                if (sacked[o]) {
                    return o + 1;
                }
            }
            return ack;
        }

        int unsackedRunEnd(final int o) {
            int e = o;
            while (e < highData && !sacked[e]) {
                e++;
            }
            return e;
        }
    }

    @Property(tries = 150)
    void scoreboardAgreesWithAByteBitmapModel(@ForAll final long seed) {
        final SeededRandom random = new SeededRandom(seed);
        final int capacity = CAPACITIES[random.nextInt(CAPACITIES.length)];
        final int smss = 50 + random.nextInt(250);
        // Start within SPACE bytes of 2^32 so the outstanding data usually straddles the wrap.
        final int base = (int) (0xFFFF_FFFFL - random.nextInt(SPACE));
        final Model model = new Model(base, smss, capacity);
        final SackScoreboard sb = new SackScoreboard(capacity);
        sb.reset(base, base, smss);
        for (int step = 0; step < 300; step++) {
            final String where = "seed " + seed + " step " + step + " (capacity " + capacity + ", smss " + smss
                    + "): " + sb;
            final int op = random.nextInt(100);
            if (op < 30) {
                final int length = 1 + random.nextInt(2 * smss);
                if (model.highData + length < SPACE) {
                    sb.onTransmit(base + model.highData, length);
                    model.highData += length;
                }
            } else if (op < 75) {
                randomAck(random, model, sb, where);
            } else if (op < 85) {
                if (sb.shouldEnterRecovery()) {
                    assertTrue(sb.dupAcks() >= SackScoreboard.DUP_THRESH || model.isLost(model.ack), where);
                    final int length = sb.enterRecovery();
                    if (length > 0) {
                        checkSegmentIsUnsacked(model, sb.nextSegStart(), length, where);
                        sb.onTransmit(sb.nextSegStart(), length, Rule.FAST_RETRANSMIT);
                    }
                }
            } else if (op < 96) {
                final long allowed = random.chance(0.5) ? 0
                        : Math.min(random.nextInt(3 * smss), SPACE - 1 - model.highData);
                checkNextSeg(model, sb, allowed, where);
            } else if (op < 98) {
                sb.onRetransmitTimeout();
                java.util.Arrays.fill(model.sacked, false);
            } else {
                sb.countDuplicateAck();
            }
            checkInvariants(model, sb, random, where);
        }
    }

    private static void randomAck(final SeededRandom random, final Model model, final SackScoreboard sb,
            final String where) {
        final int ackOff;
        final double kind = random.nextDouble();
        if (kind < 0.2) {
            ackOff = model.ack;
        } else if (kind < 0.25) {
            ackOff = model.ack - random.nextInt(200);
        } else if (kind < 0.3) {
            ackOff = model.highData + 1 + random.nextInt(50);
        } else {
            ackOff = model.ack + random.nextInt(Math.max(1, (model.highData - model.ack) / 3 + 1));
        }
        final int blockCount = random.nextInt(5);
        final int[] edges = new int[8];
        for (int i = 0; i < blockCount; i++) {
            final int l;
            final int r;
            if (random.chance(0.75)) {
                l = model.ack + random.nextInt(Math.max(1, model.highData - model.ack + 1));
                r = l + 1 + random.nextInt(3 * model.smss);
            } else {
                l = model.ack - 300 + random.nextInt(model.highData - model.ack + 600);
                r = model.ack - 300 + random.nextInt(model.highData - model.ack + 600);
            }
            edges[2 * i] = model.base + l;
            edges[2 * i + 1] = model.base + Math.min(r, model.highData + 50);
        }
        final int ackBefore = model.ack;
        final long newly = model.update(ackOff, edges, blockCount);
        sb.update(model.base + ackOff, edges, blockCount);
        if (newly < 0) {
            assertTrue(sb.lastAckRejected(), where);
            return;
        }
        assertEquals(newly, sb.lastNewlySackedBytes(), where);
        assertEquals(Math.max(0, ackOff - ackBefore), sb.lastAckedBytes(), where);
        assertEquals(model.pipe(model.off(sb.highRxt())), sb.pipe(), "SetPipe after Update, " + where);
    }

    private static void checkNextSeg(final Model model, final SackScoreboard sb, final long allowed,
            final String where) {
        final Rule rule = sb.nextSeg(allowed);
        // Brute-force NextSeg (RFC 6675 §4) from the model's octets and the scoreboard's HighRxt/RescueRxt.
        final int from = Math.max(model.ack, model.off(sb.highRxt()));
        final boolean[] lost = model.lostMap();
        Rule expected = Rule.NONE;
        int expectedStart = 0;
        int expectedLength = 0;
        for (int o = from; o < model.highData; o++) {
            if (!model.sacked[o] && lost[o]) {
                expected = Rule.LOST;
                expectedStart = o;
                expectedLength = Math.min(model.smss, model.unsackedRunEnd(o) - o);
                break;
            }
        }
        if (expected == Rule.NONE && allowed > 0) {
            expected = Rule.NEW_DATA;
            expectedStart = model.highData;
            expectedLength = (int) Math.min(model.smss, allowed);
        }
        if (expected == Rule.NONE) {
            final int highestSacked = model.highestSackedEnd();
            for (int o = from; o < highestSacked; o++) {
                if (!model.sacked[o]) {
                    expected = Rule.UNSACKED;
                    expectedStart = o;
                    expectedLength = Math.min(model.smss, model.unsackedRunEnd(o) - o);
                    break;
                }
            }
        }
        if (expected == Rule.NONE && sb.inRecovery()
                && (!sb.rescueDefined() || model.ack > model.off(sb.rescueRxt()))) {
            for (int o = model.highData - 1; o >= model.ack; o--) {
                if (!model.sacked[o]) {
                    int holeStart = o;
                    while (holeStart > model.ack && !model.sacked[holeStart - 1]) {
                        holeStart--;
                    }
                    expected = Rule.RESCUE;
                    expectedStart = Math.max(holeStart, o + 1 - model.smss);
                    expectedLength = o + 1 - expectedStart;
                    break;
                }
            }
        }
        assertEquals(expected, rule, "NextSeg rule, " + where);
        if (rule == Rule.NONE) {
            return;
        }
        assertEquals(expectedStart, model.off(sb.nextSegStart()), "NextSeg start, " + where);
        assertEquals(expectedLength, sb.nextSegLength(), "NextSeg length, " + where);
        assertTrue(sb.nextSegLength() >= 1 && sb.nextSegLength() <= model.smss, where);
        if (rule != Rule.NEW_DATA) {
            checkSegmentIsUnsacked(model, sb.nextSegStart(), sb.nextSegLength(), where);
        }
        sb.onTransmit(sb.nextSegStart(), sb.nextSegLength(), rule);
        if (rule == Rule.NEW_DATA) {
            model.highData += sb.nextSegLength();
        }
    }

    private static void checkSegmentIsUnsacked(final Model model, final int start, final int length,
            final String where) {
        for (int o = model.off(start); o < model.off(start) + length; o++) {
            if (o < model.ack || o >= model.highData || model.sacked[o]) {
                fail("segment [" + Seq.toString(start) + "+" + length + ") contains SACKed or unsent octet at offset "
                        + o + ", " + where);
            }
        }
    }

    private static void checkInvariants(final Model model, final SackScoreboard sb, final SeededRandom random,
            final String where) {
        assertEquals(model.base + model.ack, sb.highAck(), where);
        assertEquals(model.base + model.highData, sb.highData(), where);
        assertTrue(sb.pipe() >= 0, "pipe negative, " + where);
        assertTrue(sb.rangeCount() <= sb.capacity(), where);
        final List<int[]> runs = model.runs();
        assertEquals(runs.size(), sb.rangeCount(), "range count, " + where);
        long total = 0;
        for (int i = 0; i < runs.size(); i++) {
            assertEquals(runs.get(i)[0], model.off(sb.rangeStart(i)), "range " + i + " start, " + where);
            assertEquals(runs.get(i)[1], model.off(sb.rangeEnd(i)), "range " + i + " end, " + where);
            total += runs.get(i)[1] - runs.get(i)[0];
            if (i > 0) {
                assertTrue(Seq.lt(sb.rangeEnd(i - 1), sb.rangeStart(i)), "ranges disjoint and apart, " + where);
            }
        }
        assertEquals(total, sb.sackedBytes(), "sacked bytes, " + where);
        assertEquals(model.base + model.highestSackedEnd(), sb.highestSackedEnd(), where);
        assertTrue(Seq.geq(sb.highRxt(), sb.highAck()) || !sb.inRecovery(), where);
        // IsLost at every range edge and at random octets around the outstanding data.
        for (final int[] run : runs) {
            for (final int o : new int[] {run[0] - 1, run[0], run[1] - 1, run[1]}) {
                assertEquals(model.isLost(o), sb.isLost(model.base + o), "IsLost(" + o + "), " + where);
            }
        }
        for (int i = 0; i < 16; i++) {
            final int o = model.ack - 2 + random.nextInt(model.highData - model.ack + 4);
            assertEquals(model.isLost(o), sb.isLost(model.base + o), "IsLost(" + o + "), " + where);
            assertEquals(o >= model.ack && o < model.highData && model.sacked[o], sb.isSacked(model.base + o), where);
        }
    }
}
