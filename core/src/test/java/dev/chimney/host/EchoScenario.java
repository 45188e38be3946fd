package dev.chimney.host;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.runtime.Timer;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpStack;
import java.util.function.Consumer;

/**
 * The traffic shape of issue 9's stall, on two {@link NetworkStack}s joined by a {@link VirtualWire} under a
 * {@link Simulator}: host B runs an echo server that reads up to 64 KiB and writes all of it back before it reads
 * again (as a blocking echo does, so its receive window closes while its send buffer is full); host A's client
 * writes {@code totalBytes} from a writer that never waits for the reader, and reads the echo with a separate reader,
 * checking every byte against the pattern it sent. Either reader can be slowed to a fixed rate so that windows close
 * and open and both sides' buffers fill at once.
 */
final class EchoScenario {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final int PORT = 7;
    /** The echo server's read size: what a blocking echo reads at once before writing it back. */
    static final int ECHO_READ_BYTES = 64 * 1024;
    /** A slowed reader takes its bytes once per this interval. */
    static final long SLOW_READ_INTERVAL_NS = MS;

    /** Defaults: 10 MiB, 1% loss each way with as much reordering, 0.5 ms one way, default TcpConfig. */
    static final class Params {
        long seed = 1;
        long totalBytes = 10L << 20;
        double loss = 0.01;
        double reorder = 0.01;
        long delayNs = 500_000;
        long jitterNs = 100_000;
        /** Bytes the client's reader takes per {@link #SLOW_READ_INTERVAL_NS}; 0 = as fast as data arrives. */
        int clientReadPerMs;
        /** Bytes the echo server reads per {@link #SLOW_READ_INTERVAL_NS}; 0 = as fast as data arrives. */
        int serverReadPerMs;
        Consumer<TcpConfig.Builder> tcp = t -> { };

        Params seed(long s) {
            seed = s;
            return this;
        }

        Params totalBytes(long n) {
            totalBytes = n;
            return this;
        }

        Params loss(double p) {
            loss = p;
            reorder = p;
            return this;
        }

        Params clientReadPerMs(int n) {
            clientReadPerMs = n;
            return this;
        }

        Params serverReadPerMs(int n) {
            serverReadPerMs = n;
            return this;
        }

        Params tcp(Consumer<TcpConfig.Builder> t) {
            tcp = t;
            return this;
        }

        EchoScenario build() {
            return new EchoScenario(this);
        }

        @Override
        public String toString() {
            return "seed=" + seed + " bytes=" + totalBytes + " loss=" + loss + " reorder=" + reorder + " delay="
                    + delayNs / 1000 + "us clientReadPerMs=" + clientReadPerMs + " serverReadPerMs="
                    + serverReadPerMs;
        }
    }

    static Params params() {
        return new Params();
    }

    final Params p;
    final Simulator sim;
    final VirtualWire wire;
    final NetworkStack a;
    final NetworkStack b;
    final Client client;
    Echo server;

    private EchoScenario(Params p) {
        this.p = p;
        sim = new Simulator(p.seed);
        Impairments imp = Impairments.NONE.withDelay(p.delayNs, p.jitterNs).withLoss(p.loss)
                .withReordering(p.reorder, 2 * p.delayNs + 100_000);
        wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire")).both(imp)
                .maxInFlightFrames(16_384).build();
        TcpConfig.Builder tb = TcpConfig.builder();
        p.tcp.accept(tb);
        TcpConfig tcp = tb.build();
        a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(wire.a(), InterfaceConfig.of("a0", TransferScenario.MAC_A).withIpv4("10.77.0.1/24"))
                .build();
        b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(wire.b(), InterfaceConfig.of("b0", TransferScenario.MAC_B).withIpv4("10.77.0.2/24"))
                .build();
        b.listen(PORT, this::accept);
        client = new Client(a.loop(), p.totalBytes, p.clientReadPerMs);
        client.bothFullProbe = this::noteBothFull;
        client.connection = a.connect(TransferScenario.B4, PORT, client);
    }

    /**
     * Times the precondition was seen: the client's send buffer full while the server's send buffer is full
     * too and its receive window is zero (so only ACKs that reach it despite its zero window can free it).
     */
    long bothFullSeen;

    private void noteBothFull() {
        TcpConnection s = server == null ? null : server.connection;
        if (s != null && s.rcvWnd() == 0 && s.writableBytes() == 0) {
            bothFullSeen++;
        }
    }

    private void accept(TcpListener l) {
        TcpConnection c;
        while ((c = l.accept()) != null) {
            server = new Echo(b.loop(), p.serverReadPerMs);
            server.attach(c);
        }
    }

    /** Runs until the client has its whole echo and both ends closed, or {@code limitNs} passed; true when done. */
    boolean run(long limitNs) {
        return sim.runUntil(this::finished, limitNs);
    }

    private boolean finished() {
        return (client.eof || client.mismatchAt >= 0) && client.closed != null && server != null
                && server.closed != null;
    }

    /** Null when the echo came back byte-exact and both ends closed normally, else what went wrong. */
    String failure() {
        if (client.mismatchAt >= 0) {
            return "echo differs from what was sent at offset " + client.mismatchAt;
        }
        if (!finished()) {
            return "stalled: did not finish";
        }
        if (client.received != p.totalBytes || !client.eof || client.written != p.totalBytes) {
            return "incomplete: wrote " + client.written + " got " + client.received + " eof=" + client.eof;
        }
        if (client.closed != CloseReason.NORMAL || server.closed != CloseReason.NORMAL) {
            return "closed abnormally: client " + client.closed + " server " + server.closed;
        }
        return null;
    }

    /** A replay line: seed, parameters, both connections' sequence state and both stacks' counters. */
    String report() {
        return p + " t=" + sim.nowNs() / MS + "ms\n client wrote " + client.written + " read " + client.received
                + " eof=" + client.eof + " closed=" + client.closed + " " + client.connection + "\n server "
                + (server == null ? "-" : "echoed " + server.echoed + " pending " + server.pending + " closed="
                + server.closed + " " + server.connection) + "\n A tcp " + counters(a.tcp()) + "\n B tcp "
                + counters(b.tcp()) + "\n wire a->b " + wire.aToB().counters() + " b->a " + wire.bToA().counters();
    }

    static String counters(TcpStack s) {
        StringBuilder b = new StringBuilder("{");
        for (TcpCounter c : TcpCounter.values()) {
            if (s.counter(c) != 0) {
                b.append(c).append('=').append(s.counter(c)).append(' ');
            }
        }
        return b.append('}').toString();
    }

    /**
     * The client: a writer that pushes the pattern whenever the send buffer has room, and a reader that checks the
     * echo (at once, or {@code readPerMs} bytes a millisecond). Neither waits for the other.
     */
    static final class Client implements TcpConnection.Listener {
        private static final long KEY = 0xEC40L;
        private final EventLoop loop;
        private final long total;
        private final int readPerMs;
        private final byte[] out = new byte[16 * 1024];
        private final byte[] in = new byte[16 * 1024];
        private final Timer slowRead = Timer.of(this::slowRead);
        Runnable bothFullProbe;
        TcpConnection connection;
        long written;
        long received;
        long mismatchAt = -1;
        boolean eof;
        CloseReason closed;

        Client(EventLoop loop, long total, int readPerMs) {
            this.loop = loop;
            this.total = total;
            this.readPerMs = readPerMs;
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
            if (readPerMs > 0) {
                loop.timers().schedule(slowRead, loop.clock().nanoTime() + SLOW_READ_INTERVAL_NS);
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            while (written < total && c.writableBytes() > 0) {
                int n = (int) Math.min(out.length, Math.min(total - written, c.writableBytes()));
                Pattern.fill(KEY, written, out, 0, n);
                written += c.write(out, 0, n);
            }
            if (written == total) {
                c.shutdownOutput();
            } else if (bothFullProbe != null) {
                bothFullProbe.run(); // our send buffer is full: is the server's too, with its window closed?
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            if (readPerMs == 0) {
                read(c, Long.MAX_VALUE);
            }
        }

        private void slowRead() {
            read(connection, readPerMs);
            if (!eof) {
                loop.timers().schedule(slowRead, loop.clock().nanoTime() + SLOW_READ_INTERVAL_NS);
            }
        }

        private void read(TcpConnection c, long budget) {
            while (budget > 0 && !eof) {
                int n = c.read(in, 0, (int) Math.min(in.length, budget));
                if (n < 0) {
                    eof = true;
                    return;
                }
                if (n == 0) {
                    return;
                }
                budget -= n;
                long bad = Pattern.firstMismatch(KEY, received, in, 0, n);
                if (bad >= 0 && mismatchAt < 0) {
                    mismatchAt = bad;
                }
                received += n;
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed = reason;
        }
    }

    /**
     * Echo as a blocking server does it: read up to 64 KiB, write all of it back, only then read again; at end of
     * stream shut the output down. {@code readPerMs} &gt; 0 slows its reads to that many bytes a millisecond.
     */
    static final class Echo implements TcpConnection.Listener {
        private final EventLoop loop;
        private final int readPerMs;
        private final byte[] buf = new byte[ECHO_READ_BYTES];
        private final Timer slowRead = Timer.of(this::slowTick);
        private long budget = Long.MAX_VALUE;
        TcpConnection connection;
        int pending;
        private int pendingOff;
        private boolean eof;
        long echoed;
        CloseReason closed;

        Echo(EventLoop loop, int readPerMs) {
            this.loop = loop;
            this.readPerMs = readPerMs;
        }

        void attach(TcpConnection c) {
            connection = c;
            c.listener(this);
            if (readPerMs > 0) {
                budget = 0;
                loop.timers().schedule(slowRead, loop.clock().nanoTime() + SLOW_READ_INTERVAL_NS);
            }
            pump(c);
        }

        @Override
        public void onReadable(TcpConnection c) {
            pump(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            pump(c);
        }

        private void slowTick() {
            if (closed != null || eof) {
                return;
            }
            budget = readPerMs;
            pump(connection);
            loop.timers().schedule(slowRead, loop.clock().nanoTime() + SLOW_READ_INTERVAL_NS);
        }

        private void pump(TcpConnection c) {
            while (closed == null) {
                if (pending > 0) {
                    int n = c.write(buf, pendingOff, pending);
                    pendingOff += n;
                    pending -= n;
                    echoed += n;
                    if (pending > 0) {
                        return; // send buffer full: onWritable resumes (and the echo reads nothing meanwhile)
                    }
                }
                if (eof || budget <= 0) {
                    return;
                }
                int n = c.read(buf, 0, (int) Math.min(buf.length, budget));
                if (n < 0) {
                    eof = true;
                    c.shutdownOutput();
                    return;
                }
                if (n == 0) {
                    return;
                }
                if (budget != Long.MAX_VALUE) {
                    budget -= n;
                }
                pending = n;
                pendingOff = 0;
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed = reason;
        }
    }
}
