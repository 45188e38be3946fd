package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.host.OffloadPolicy;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.tcp.TcpConfig;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Keeps the docs honest where that is cheap: every option of every command is in its section of
 * docs/configuration.md, every public setting of the configuration classes is on that page, every relative link
 * in README.md and docs/*.md points at a file (and heading) that exists, and the target guide's skeleton compiles.
 */
class DocsTest {
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.+?)\\s*$", Pattern.MULTILINE);

    /** The checkout: the nearest directory up from the module's with README.md and docs/. */
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("docs")))) {
            p = p.getParent();
        }
        assertTrue(p != null, "no README.md with a docs/ directory above " + Path.of("").toAbsolutePath());
        return p;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file);
    }

    /** The text of the section whose heading starts with {@code ## `chimney NAME`}, up to the next ## heading. */
    static String section(String doc, String command) {
        String heading = "## `chimney " + command + "`";
        int start = doc.indexOf(heading);
        if (start < 0) {
            return null;
        }
        int end = doc.indexOf("\n## ", start + heading.length());
        return doc.substring(start, end < 0 ? doc.length() : end);
    }

    @Test
    void everyCommandLineOptionIsInItsSectionOfTheConfigurationReference() throws IOException {
        String doc = read(root().resolve("docs/configuration.md"));
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (CommandLine top : Main.commandLine().getSubcommands().values()) {
            String name = top.getCommandName();
            if (name.equals("help")) {
                continue;
            }
            String section = section(doc, name);
            if (section == null) {
                missing.add("a section '## `chimney " + name + "`'");
                continue;
            }
            List<CommandLine> commands = new ArrayList<>(List.of(top));
            for (int i = 0; i < commands.size(); i++) {
                CommandLine c = commands.get(i);
                commands.addAll(c.getSubcommands().values());
                if (c != top) {
                    String sub = c.getCommandName();
                    if (!section.contains("`" + sub) && !section.contains("`" + c.getCommandSpec().qualifiedName())) {
                        missing.add("command '" + c.getCommandSpec().qualifiedName() + "'");
                    }
                }
                for (OptionSpec o : c.getCommandSpec().options()) {
                    if (o.hidden() || o.usageHelp() || o.versionHelp()) {
                        continue;
                    }
                    checked++;
                    String longName = o.longestName();
                    // a negatable option (--[no-]tso) is documented by its positive name
                    String plain = longName.startsWith("--[no-]") ? "--" + longName.substring(7) : longName;
                    if (!section.contains("`" + plain)) {
                        missing.add("option " + plain + " of '" + c.getCommandSpec().qualifiedName() + "'");
                    }
                }
            }
        }
        assertTrue(checked > 20, "only " + checked + " options found: is the command line wired?");
        assertTrue(missing.isEmpty(), "docs/configuration.md lacks: " + String.join("; ", missing));
    }

    @Test
    void everyPublicSettingOfTheConfigurationClassesIsDocumented() throws IOException {
        String doc = read(root().resolve("docs/configuration.md"));
        Set<String> missing = new TreeSet<>();
        for (Class<?> type : List.of(TcpConfig.Builder.class, SoftOffloadTarget.Builder.class,
                OffloadPolicy.class)) {
            for (Method m : type.getDeclaredMethods()) {
                boolean setting = Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()
                        && (type != OffloadPolicy.class || Modifier.isStatic(m.getModifiers())
                        || m.getName().startsWith("with"));
                String n = m.getName();
                if (setting && !n.equals("build") && !doc.contains("`" + n) && !doc.contains("." + n + "(")) {
                    missing.add(type.getSimpleName() + "." + m.getName());
                }
            }
        }
        assertTrue(missing.isEmpty(), "docs/configuration.md lacks: " + missing);
    }

    @Test
    void everyRelativeLinkInTheReadmeAndTheDocsResolves() throws IOException {
        Path root = root();
        List<Path> files = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        assertTrue(files.size() >= 5, "README and the docs pages: " + files);
        List<String> broken = new ArrayList<>();
        int links = 0;
        for (Path file : files) {
            Matcher m = LINK.matcher(read(file));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue; // http:, https:, mailto: are not ours to check
                }
                links++;
                int hash = target.indexOf('#');
                String path = hash < 0 ? target : target.substring(0, hash);
                Path resolved = path.isEmpty() ? file : file.getParent().resolve(path).normalize();
                String where = root.relativize(file) + ": " + target;
                if (!Files.exists(resolved)) {
                    broken.add(where + " (no such file)");
                } else if (hash >= 0 && resolved.toString().endsWith(".md")
                        && !anchors(read(resolved)).contains(target.substring(hash + 1))) {
                    broken.add(where + " (no such heading)");
                }
            }
        }
        assertTrue(links >= 10, "only " + links + " relative links found");
        assertTrue(broken.isEmpty(), "broken links: " + String.join("; ", broken));
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new TreeSet<>();
        Matcher m = HEADING.matcher(markdown);
        while (m.find()) {
            anchors.add(m.group(1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{Nd} _-]", "")
                    .replace(' ', '-'));
        }
        return anchors;
    }

    @Test
    void everyTestTheDocsNameExists() throws IOException {
        Path root = root();
        java.util.Map<String, String> sources = new java.util.HashMap<>();
        for (String module : List.of("core", "cli", "bench")) {
            Path tests = root.resolve(module).resolve("src/test/java");
            if (!Files.isDirectory(tests)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(tests)) {
                for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    String name = f.getFileName().toString();
                    sources.put(name.substring(0, name.length() - ".java".length()), read(f));
                }
            }
        }
        Pattern named = Pattern.compile("\\b([A-Z]\\w*(?:Test|Conformance))\\b(?:[.#](\\w+))?");
        Set<String> missing = new TreeSet<>();
        int checked = 0;
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            for (Path doc : docs.filter(p -> p.toString().endsWith(".md")).toList()) {
                Matcher m = named.matcher(read(doc));
                while (m.find()) {
                    if (m.group(1).startsWith("MyTarget")) {
                        continue; // the guide's example of a test someone else writes
                    }
                    checked++;
                    String source = sources.get(m.group(1));
                    if (source == null && sources.values().stream().anyMatch(src -> Pattern.compile(
                            "(class|record|interface) " + m.group(1) + "\\b").matcher(src).find())) {
                        continue; // a nested type, e.g. TargetFactory.TargetUnderTest
                    }
                    if (source == null) {
                        missing.add(doc.getFileName() + ": " + m.group(1));
                    } else if (m.group(2) != null && !Pattern.compile("\\b" + m.group(2) + "\\s*\\(")
                            .matcher(source).find()) {
                        missing.add(doc.getFileName() + ": " + m.group(1) + "." + m.group(2));
                    }
                }
            }
        }
        assertTrue(checked >= 40, "only " + checked + " test names found in docs/");
        assertTrue(missing.isEmpty(), "the docs name tests that do not exist: " + missing);
    }

    @Test
    void theTargetGuidesSkeletonCompilesAgainstTheChimneyInterface(@TempDir Path dir) throws IOException {
        String guide = read(root().resolve("docs/target-guide.md"));
        int start = guide.indexOf("public final class MyTarget");
        assertTrue(start > 0, "docs/target-guide.md has no skeleton 'public final class MyTarget'");
        String code = "import dev.chimney.chimney.*;\nimport dev.chimney.runtime.EventLoop;\n"
                + "import java.util.function.Consumer;\n" + guide.substring(start, guide.indexOf("```", start));
        Path source = dir.resolve("MyTarget.java");
        Files.writeString(source, code);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter out = new StringWriter();
        boolean ok = javac.getTask(out, null, null, List.of("-d", dir.resolve("classes").toString(), "-cp",
                System.getProperty("java.class.path")), null, javac.getStandardFileManager(null, null, null)
                .getJavaFileObjects(source)).call();
        assertTrue(ok, "the skeleton in docs/target-guide.md does not compile:\n" + out);
    }

    @Test
    void anchorsFollowGithubsRule() {
        assertTrue(anchors("### Root failure (§9 item 23)\n").contains("root-failure-9-item-23"));
        assertTrue(anchors("## Running the conformance suite against your target\n")
                .contains("running-the-conformance-suite-against-your-target"));
        assertTrue(anchors("## `chimney run`\n").contains("chimney-run"));
    }
}
