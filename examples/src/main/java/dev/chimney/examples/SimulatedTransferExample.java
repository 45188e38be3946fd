package dev.chimney.examples;

import dev.chimney.host.NetworkStack;
import dev.chimney.host.VirtualNetwork;
import dev.chimney.link.Impairments;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import dev.chimney.tcp.TcpCounter;
import java.io.IOException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * A deterministic transfer: two hosts on one simulator, a link that loses 1% of the frames each way, and the
 * loop-side, non-blocking socket API (no threads at all). The same seed gives the same run to the nanosecond of
 * virtual time and the same count of retransmissions.
 *
 * <p>Run: {@code java -cp core/target/classes:examples/target/classes dev.chimney.examples.SimulatedTransferExample
 * [SEED [BYTES]]}.
 */
public final class SimulatedTransferExample {
    private SimulatedTransferExample() {
    }

    public static void main(String[] args) {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : 42;
        int bytes = args.length > 1 ? Integer.parseInt(args[1]) : 4 << 20;
        byte[] data = new byte[bytes];
        new SplittableRandom(seed).nextBytes(data);
        // @start region="simulated"
        try (VirtualNetwork net = VirtualNetwork.simulated(seed).hosts("sender", "receiver")
                .impairments(Impairments.NONE.withLoss(0.01).withDelay(1_000_000, 0)) // 1% loss, 1 ms each way
                .build()) {
            NetworkStack sender = net.host("sender");
            NetworkStack receiver = net.host("receiver");
            // Under the simulator this thread owns every loop: set up directly, then let virtual time run.
            Sink sink = new Sink();
            receiver.sockets().serve(null, 5001, SocketOptions.defaults(), channel -> sink);
            Source source = new Source(data);
            sender.sockets().connect(receiver.socketAddress(5001), SocketOptions.defaults(), source);
            if (!net.runUntil(() -> sink.closed && source.closed, Duration.ofMinutes(10))) {
                throw new IllegalStateException("transfer not finished after 10 minutes of virtual time");
            }
            CRC32 expected = new CRC32();
            expected.update(data);
            if (source.error != null || sink.bytes != bytes || sink.crc.getValue() != expected.getValue()) {
                throw new IllegalStateException("transfer failed: " + sink.bytes + " of " + bytes + " bytes, error "
                        + source.error);
            }
            System.out.printf("transfer: %d bytes under 1%% loss, byte-exact (crc32 %08x), in %.6f s of virtual "
                    + "time, %d segments retransmitted, seed %d%n", sink.bytes, sink.crc.getValue(),
                    net.simulator().nowNs() / 1e9, sender.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS), seed);
        }
        // @end
    }

    /** Sends {@code data}, then closes (FIN after the last byte). Runs on the sender's loop. */
    // @start region="channel-source"
    static final class Source implements TcpChannelHandler {
        private final byte[] data;
        private int sent;
        boolean closed;
        IOException error;

        Source(byte[] data) {
            this.data = data;
        }

        @Override
        public void onConnected(TcpChannel channel) {
            onWritable(channel);
        }

        @Override
        public void onWritable(TcpChannel channel) {
            while (sent < data.length) {
                int n = channel.write(data, sent, data.length - sent); // what fits in the send buffer now
                if (n == 0) {
                    return; // full: onWritable comes again when the peer acknowledged some
                }
                sent += n;
            }
            channel.close(); // FIN goes after the queued bytes
        }

        @Override
        public void onClosed(TcpChannel channel, IOException failure) {
            closed = true;
            error = failure; // null after a graceful close
        }
    }
    // @end

    /** Reads a stream to its end, counting and checksumming it. Runs on the receiver's loop. */
    // @start region="channel-sink"
    static final class Sink implements TcpChannelHandler {
        private final byte[] buffer = new byte[16 * 1024];
        final CRC32 crc = new CRC32();
        long bytes;
        boolean closed;

        @Override
        public void onReadable(TcpChannel channel) {
            int n;
            while ((n = channel.read(buffer, 0, buffer.length)) > 0) {
                crc.update(buffer, 0, n);
                bytes += n;
            }
            if (n < 0) {
                channel.close(); // the peer's FIN: all read, close our side too
            }
        }

        @Override
        public void onClosed(TcpChannel channel, IOException failure) {
            closed = true;
        }
    }
    // @end
}
