package dev.chimney.testkit;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gatekeeper for tests that need the real kernel (root, iproute2, /dev/net/tun, peer tools).
 *
 * <p>Outside CI a missing prerequisite skips the test with a message saying exactly what is missing; with the
 * environment variable {@code CI=true} the same condition fails the test, so CI can never pass by skipping.
 */
public final class Interop {
    private Interop() {
    }

    /** True when running in CI ({@code CI=true}): missing prerequisites fail instead of skipping. */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Requires root, the {@code ip} tool and {@code /dev/net/tun}. */
    public static void requireRoot() {
        require(isRoot(), "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) to create network namespaces and TAP devices;"
                + " run the tests as root or in CI");
        requireTool("ip", "iproute2");
        require(Files.exists(Path.of("/dev/net/tun")),
                "needs /dev/net/tun: load the tun module or run in a container with /dev/net/tun");
    }

    /** Requires an executable on PATH (e.g. "tshark", "ping", "socat"), naming the Debian package to install. */
    public static void requireTool(String tool, String debianPackage) {
        require(findOnPath(tool) != null, "needs '" + tool + "' on PATH: apt-get install " + debianPackage);
    }

    /** Skips (or fails in CI) with {@code why} unless {@code condition} holds. */
    public static void require(boolean condition, String why) {
        if (condition) {
            return;
        }
        if (inCi()) {
            throw new AssertionError("CI=true and the interop test cannot run: " + why);
        }
        Assumptions.assumeTrue(false, "skipped: " + why);
    }

    static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (Exception e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    static Path findOnPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
