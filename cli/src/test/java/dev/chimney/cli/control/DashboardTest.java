package dev.chimney.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.testkit.Interop;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The live dashboard end to end in headless Chromium (issue 8 item 3): against a host whose connections are
 * offloaded to the soft target, the page shows them Offloaded; pressing "Upload all" takes every one to the host
 * (the page shows InHost and admission DRAINED), pressing "Resume" offloads them again; no byte is lost on the way.
 * Screenshots are kept in {@code target/dashboard-*.png}.
 */
class DashboardTest {
    static final int CONNECTIONS = 4;
    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    @Test
    void uploadAllAndResumeFromTheDashboard(@TempDir Path profile) throws IOException {
        Interop.require(new File(CHROMIUM).canExecute(), "needs " + CHROMIUM + ": apt-get install chromium "
                + "(scripts/setup-machine)");
        Interop.require(new File(CHROMEDRIVER).canExecute(), "needs " + CHROMEDRIVER + ": apt-get install "
                + "chromium-driver (scripts/setup-machine)");
        try (OffloadRig rig = new OffloadRig(OffloadPolicy.allEstablished());
                ControlServer server = ControlServer.bind(0, null)) {
            rig.connect(CONNECTIONS, true);
            server.attach(rig.host);
            WebDriver driver = startChromium(profile);
            try {
                driver.get(server.url());
                waitFor(driver, "every connection Offloaded, admission OPEN",
                        () -> states(driver).equals(List.of("Offloaded", "Offloaded", "Offloaded", "Offloaded"))
                                && text(driver, "admission").equals("OPEN"));
                waitFor(driver, "the tree, the timeline, the counters and a plot", () ->
                        driver.findElements(By.cssSelector("#objects li")).size() == 2 + CONNECTIONS
                                && text(driver, "timeline").contains("control API attached to host")
                                && text(driver, "counters").contains("offload.CONNECTIONS_OFFLOADED = 4")
                                && plotted(driver));

                driver.findElement(By.id("btn-upload-all")).click();
                waitFor(driver, "every connection InHost, admission DRAINED", () -> states(driver).equals(List.of(
                        "InHost", "InHost", "InHost", "InHost")) && text(driver, "admission").equals("DRAINED"));
                waitFor(driver, "the action's answer", () -> text(driver, "message").startsWith("uploaded"));
                waitFor(driver, "the indication and the terminate in the timeline", () -> text(driver, "timeline")
                        .contains("UPLOAD_ALL (admission now UPLOADING_ALL)") && text(driver, "timeline").contains(
                        "TERMINATE completed"));
                screenshot(driver, "dashboard-uploaded.png");

                driver.findElement(By.id("btn-resume")).click();
                waitFor(driver, "every connection Offloaded again, admission OPEN",
                        () -> states(driver).equals(List.of("Offloaded", "Offloaded", "Offloaded", "Offloaded"))
                                && text(driver, "admission").equals("OPEN"));
                waitFor(driver, "the action's answer and the initiate in the timeline", () -> text(driver,
                        "message").startsWith("resumed") && text(driver, "timeline").contains("INITIATE completed"));

                driver.findElement(By.id("btn-failover")).click();
                waitFor(driver, "the refusal shown", () -> text(driver, "message").startsWith(
                        "failover: no team configured"));
                screenshot(driver, "dashboard.png");
            } finally {
                driver.quit();
            }
            assertEquals(0, rig.mismatches(), "no byte lost, duplicated or reordered through the moves");
        }
    }

    private static WebDriver startChromium(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1400,1100");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /** The Offload State column, row by row. */
    private static List<String> states(WebDriver driver) {
        return driver.findElements(By.cssSelector("#connections tbody tr")).stream()
                .map(r -> r.getDomAttribute("data-offload-state")).toList();
    }

    private static String text(WebDriver driver, String id) {
        WebElement e = driver.findElement(By.id(id));
        return e.getDomProperty("textContent").strip(); // all of it, laid out in columns or scrolled away
    }

    /** The throughput canvas has something drawn on it (the grid at least, a line once samples exist). */
    private static boolean plotted(WebDriver driver) {
        Object n = ((JavascriptExecutor) driver).executeScript("""
                const c = document.getElementById('throughput');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let colored = 0;
                for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i + 2] > d[i] + 40) colored++;
                return colored;""");
        return ((Number) n).longValue() > 100; // blue pixels: the "in" line
    }

    private static void waitFor(WebDriver driver, String what, Supplier<Boolean> condition) throws IOException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            try {
                if (condition.get()) {
                    return;
                }
            } catch (StaleElementReferenceException e) {
                // the page re-rendered under us: look again
            }
            if (System.nanoTime() > deadline) {
                screenshot(driver, "dashboard-failure.png");
                throw new AssertionError("dashboard never showed: " + what + "; page says: "
                        + driver.findElement(By.tagName("body")).getText());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    private static void screenshot(WebDriver driver, String name) throws IOException {
        Path target = Path.of("target");
        Files.createDirectories(target);
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.size(target.resolve(name)) > 1000, "a real screenshot");
    }
}
