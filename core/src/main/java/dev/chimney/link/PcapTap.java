package dev.chimney.link;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A {@link NetworkPort} decorator that records every frame the wrapped port transmits (when the port accepted it)
 * and every frame it receives, in order, into a {@link PcapWriter}. Timestamps are the writer's clock at the
 * moment of the call, i.e. the time the owning loop handled the frame.
 *
 * <p>Recording never breaks the link: a pcap I/O error is counted ({@link #writeErrors()}) and recording stops,
 * while frames keep flowing. {@link #close()} closes the wrapped port and then the writer (flushing it); call
 * {@link #flush()} to make the file complete while the port stays open.
 */
public final class PcapTap implements NetworkPort {
    private final NetworkPort port;
    private final PcapWriter writer;
    private final FrameSink recordingSink = this::recordAndForward;
    private FrameSink downstream;
    private boolean recording = true;
    private long writeErrors;

    public PcapTap(NetworkPort port, PcapWriter writer) {
        this.port = Objects.requireNonNull(port, "port");
        this.writer = Objects.requireNonNull(writer, "writer");
    }

    /** The wrapped port. */
    public NetworkPort port() {
        return port;
    }

    public PcapWriter writer() {
        return writer;
    }

    /** Pcap write errors seen (recording stops after the first). */
    public long writeErrors() {
        return writeErrors;
    }

    @Override
    public String name() {
        return port.name();
    }

    @Override
    public int mtu() {
        return port.mtu();
    }

    @Override
    public boolean transmit(MemorySegment frame) {
        boolean sent = port.transmit(frame);
        if (sent) {
            record(frame);
        }
        return sent;
    }

    @Override
    public int receive(FrameSink sink, int budget) {
        downstream = sink;
        try {
            return port.receive(recordingSink, budget);
        } finally {
            downstream = null;
        }
    }

    @Override
    public long nextArrivalNs() {
        return port.nextArrivalNs();
    }

    /** Pushes buffered records to the file. */
    public void flush() {
        if (recording) {
            try {
                writer.flush();
            } catch (UncheckedIOException e) {
                failed();
            }
        }
    }

    @Override
    public void close() {
        try {
            port.close();
        } finally {
            try {
                writer.close();
            } catch (UncheckedIOException e) {
                failed();
            }
        }
    }

    private void recordAndForward(MemorySegment frame) {
        record(frame);
        downstream.onFrame(frame);
    }

    private void record(MemorySegment frame) {
        if (!recording) {
            return;
        }
        try {
            writer.write(frame);
        } catch (UncheckedIOException e) {
            failed();
        }
    }

    private void failed() {
        writeErrors++;
        recording = false;
    }
}
