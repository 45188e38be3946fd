package dev.chimney.socket;

import static dev.chimney.socket.TwoHosts.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Calls from one application thread racing a call blocked in another (review findings, each failed before). */
@Timeout(60)
class TcpSocketRacesTest {
    static final long SEED = 17L;
    TwoHosts hosts;
    ExecutorService threads;

    @BeforeEach
    void start() {
        hosts = TwoHosts.realTime(SEED, TwoHosts.smallBuffers());
        threads = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        hosts.close();
    }

    /** Asks the loop (one round trip each) until {@code n} blocking calls wait on it. */
    private void awaitParkedCalls(int n) throws InterruptedException {
        int[] parked = new int[1];
        for (int i = 0; i < 100_000 && parked[0] < n; i++) {
            hosts.onLoop(() -> parked[0] = hosts.a.parkedCalls() + hosts.b.parkedCalls());
        }
        assertEquals(n, parked[0], "blocked calls parked on the loop");
    }

    @Test
    void shutdownOutputFailsAWriteBlockedInAnotherThreadInsteadOfHangingIt() throws Exception {
        TcpServerSocket server = hosts.b.newServerSocket();
        server.bind(null, 80);
        Future<TcpSocket> accepted = threads.submit(server::accept);
        TcpSocket client = hosts.a.newSocket();
        client.connect(B, 80);
        TcpSocket peer = accepted.get(10, TimeUnit.SECONDS); // never reads: the client's write blocks
        Future<Void> blockedWrite = threads.submit(() -> {
            client.write(new byte[1024 * 1024]);
            return null;
        });
        awaitParkedCalls(1);
        client.shutdownOutput();
        ExecutionException e = assertThrows(ExecutionException.class, () -> blockedWrite.get(10, TimeUnit.SECONDS),
                "a write blocked when another thread shuts the output down must fail, not wait forever; seed "
                        + SEED);
        SocketException cause = assertInstanceOf(SocketException.class, e.getCause());
        assertTrue(cause.getMessage().contains("output shut down"), cause.getMessage());
        client.close();
        peer.close();
        server.close();
    }
}
