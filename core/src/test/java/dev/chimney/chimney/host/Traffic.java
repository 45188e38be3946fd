package dev.chimney.chimney.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chimney.chimney.host.HostPair.Peer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bulk traffic both ways over several connections of a {@link HostPair}: each client (A) end writes its own seeded
 * pattern to the peer (B) and the peer writes another back, as fast as the send buffers take them, until {@link
 * #done}; {@link #assertExact} then compares both byte streams of every connection with what was written.
 */
final class Traffic {
    private final HostPair h;
    private final List<Peer> clients;
    private final List<Peer> servers = new ArrayList<>();
    private final List<byte[]> up = new ArrayList<>();
    private final List<byte[]> down = new ArrayList<>();
    private final int[] upWritten;
    private final int[] downWritten;
    private final int[] upBase;
    private final int[] downBase;

    Traffic(HostPair h, List<Peer> clients, int bytesEachWay, int seed) {
        this.h = h;
        this.clients = List.copyOf(clients);
        int n = clients.size();
        upWritten = new int[n];
        downWritten = new int[n];
        upBase = new int[n];
        downBase = new int[n];
        for (int i = 0; i < n; i++) {
            Peer s = h.serverOf(clients.get(i));
            servers.add(s);
            up.add(HostPair.pattern(bytesEachWay, seed + 2 * i));
            down.add(HostPair.pattern(bytesEachWay, seed + 2 * i + 1));
            upBase[i] = s.received.size();
            downBase[i] = clients.get(i).received.size();
        }
    }

    /** Writes what the send buffers take now. */
    void pump() {
        for (int i = 0; i < clients.size(); i++) {
            byte[] u = up.get(i);
            byte[] d = down.get(i);
            if (upWritten[i] < u.length && clients.get(i).connection.state().isSynchronized()) {
                upWritten[i] += Math.max(0, clients.get(i).connection.write(u, upWritten[i], u.length - upWritten[i]));
            }
            if (downWritten[i] < d.length && servers.get(i).connection.state().isSynchronized()) {
                downWritten[i] += Math.max(0, servers.get(i).connection.write(d, downWritten[i],
                        d.length - downWritten[i]));
            }
        }
    }

    /** Bytes that arrived so far, both ways, all connections. */
    long arrived() {
        long n = 0;
        for (int i = 0; i < clients.size(); i++) {
            n += servers.get(i).received.size() - upBase[i] + clients.get(i).received.size() - downBase[i];
        }
        return n;
    }

    long total() {
        long n = 0;
        for (int i = 0; i < clients.size(); i++) {
            n += up.get(i).length + down.get(i).length;
        }
        return n;
    }

    boolean done() {
        return arrived() == total();
    }

    /**
     * Pumps and runs the simulator until every byte arrived or {@code limitNs} passed; {@code at} runs once each when
     * the arrived share first reaches its fraction (in order), to fire indications mid-transfer.
     */
    void run(long limitNs, double[] fractions, Runnable... at) {
        int[] next = {0};
        long total = total();
        h.sim.runUntil(() -> {
            pump();
            while (next[0] < at.length && arrived() >= fractions[next[0]] * total) {
                at[next[0]++].run();
            }
            return done();
        }, h.sim.nowNs() + limitNs);
        while (next[0] < at.length) {
            at[next[0]++].run(); // the transfer finished first: fire the rest anyway
        }
    }

    /** Pumps and runs until {@code fraction} of all bytes arrived (or {@code limitNs} passed). */
    void runUntilShare(double fraction, long limitNs) {
        long total = total();
        h.sim.runUntil(() -> {
            pump();
            return arrived() >= fraction * total;
        }, h.sim.nowNs() + limitNs);
    }

    /** Pumps while the simulator runs for {@code ns}. */
    void runFor(long ns) {
        long end = h.sim.nowNs() + ns;
        h.sim.runUntil(() -> {
            pump();
            return false;
        }, end);
    }

    void run(long limitNs) {
        run(limitNs, new double[0]);
    }

    /** Both streams of every connection arrived exactly as written. */
    void assertExact() {
        for (int i = 0; i < clients.size(); i++) {
            byte[] gotUp = Arrays.copyOfRange(servers.get(i).bytes(), upBase[i], servers.get(i).received.size());
            byte[] gotDown = Arrays.copyOfRange(clients.get(i).bytes(), downBase[i],
                    clients.get(i).received.size());
            assertEquals(up.get(i).length, gotUp.length, "A -> B length, connection " + i + " " + h.manager);
            assertArrayEquals(up.get(i), gotUp, "A -> B bytes, connection " + i);
            assertArrayEquals(down.get(i), gotDown, "B -> A bytes, connection " + i);
        }
    }
}
