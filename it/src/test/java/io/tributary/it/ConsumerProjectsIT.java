package io.tributary.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A brand-new Maven project per capability ({@code it/consumers/<capability>}) that imports only
 * that capability through {@code tributary-bom}, built against a private local repository that
 * holds only this build's artifacts: Tributary comes from nowhere else (no remote has it), other
 * artifacts from the main local repository as a file repository, then Maven Central
 * ({@code consumers/settings.xml}). Its build fails if its dependency closure holds CoreNLP, Debezium, Kafka,
 * Hadoop, Parquet, Jedis or another capability (maven-enforcer-plugin), then runs its pipeline on
 * the Direct runner, which checks its own result. This test also reads the resolved closure and
 * prints its size.
 */
class ConsumerProjectsIT {
  private static final List<String> FOREIGN =
      List.of("edu.stanford.nlp:", "io.debezium:", "org.apache.kafka:", "org.apache.hadoop:", "org.apache.parquet:", "redis.clients:");

  @ParameterizedTest
  @CsvSource({"fraud, fraud alerts: 1", "activity, 'windows: 6, top pages: [/home x2'"})
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void aProjectImportingOneCapabilityBuildsRunsAndBringsNothingElse(String capability, String output)
      throws Exception {
    Path project = copy(Path.of("consumers", capability), Path.of("target", "consumers", capability));
    Path log = project.resolve("build.log");
    Process build =
        new ProcessBuilder(mvn("verify"))
            .directory(project.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean done = build.waitFor(9, TimeUnit.MINUTES);
    String text = Files.readString(log, StandardCharsets.UTF_8);
    if (!done) {
      build.destroyForcibly();
    }
    assertEquals(0, done ? build.exitValue() : -1, "build of the " + capability + " consumer (" + log + "):\n" + tail(text));
    assertThat(text, containsString(output));

    List<String> dependencies = Files.readAllLines(project.resolve("target/dependencies.txt"));
    for (String line : dependencies) {
      for (String foreign : FOREIGN) {
        assertThat(capability + " closure: " + line, !line.trim().startsWith(foreign));
      }
    }
    long bytes;
    int jars;
    try (Stream<Path> files = Files.list(project.resolve("target/closure"))) {
      List<Path> all = files.toList();
      jars = all.size();
      bytes = 0;
      for (Path f : all) {
        bytes += Files.size(f);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "dependency closure of tributary-%s (compile scope, without a runner): %d jars, %.1f MB%n",
        capability, jars, bytes / 1e6);
  }

  /** The importable artifacts whose closures the README lists. */
  private static final List<String> ARTIFACTS =
      List.of(
          "core", "io-redis", "io-lake", "features", "activity", "fraud", "sentiment", "sentiment-models",
          "cdc", "cdc-capture");

  /** The module of the baseline: Beam's core SDK alone, what any Beam project already has. */
  private static final String BASELINE = "beam-core";

  /**
   * Resolves each artifact alone, as a project that depends only on it would, and prints its
   * compile-scope closure (written to {@code target/closures.md} too). Each closure must hold the
   * artifact itself, and a capability's closure no other capability.
   */
  @org.junit.jupiter.api.Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void printsTheDependencyClosureOfEachArtifact() throws Exception {
    Path root = Path.of("target", "closures").toAbsolutePath();
    delete(root);
    StringBuilder modules = new StringBuilder("    <module>" + BASELINE + "</module>\n");
    String template = Files.readString(Path.of("consumers", "closure-module.xml"));
    Files.createDirectories(root.resolve(BASELINE));
    Files.writeString(
        root.resolve(BASELINE).resolve("pom.xml"),
        template
            .replace("ARTIFACT", BASELINE)
            .replace(
                "<groupId>io.tributary</groupId>\n      <artifactId>tributary-" + BASELINE + "</artifactId>",
                "<groupId>org.apache.beam</groupId>\n      <artifactId>beam-sdks-java-core</artifactId>"));
    for (String a : ARTIFACTS) {
      modules.append("    <module>").append(a).append("</module>\n");
      Files.createDirectories(root.resolve(a));
      Files.writeString(root.resolve(a).resolve("pom.xml"), template.replace("ARTIFACT", a));
    }
    Files.writeString(
        root.resolve("pom.xml"),
        Files.readString(Path.of("consumers", "closure-aggregator.xml")).replace("<!-- MODULES -->", modules.toString().stripTrailing()));
    Path log = root.resolve("build.log");
    Process build =
        new ProcessBuilder(mvn("package"))
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean done = build.waitFor(9, TimeUnit.MINUTES);
    if (!done) {
      build.destroyForcibly();
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, done ? build.exitValue() : -1, "closure build (" + log + "):\n" + tail(text));
    StringBuilder table = new StringBuilder("| artifact | jars | MB |\n|---|---|---|\n");
    table.append(String.format(Locale.ROOT, "| `beam-sdks-java-core` alone (baseline) | %d | %.1f |%n",
        jars(root, BASELINE).size(), megabytes(jars(root, BASELINE))));
    for (String a : ARTIFACTS) {
      List<Path> jars = jars(root, a);
      List<String> names = jars.stream().map(j -> j.getFileName().toString()).toList();
      assertThat(a + " closure " + names, names.stream().anyMatch(n -> n.startsWith("tributary-" + a + "-")));
      for (String other : List.of("activity", "fraud", "sentiment", "cdc")) {
        if (!a.startsWith(other) && !(a.equals("cdc-capture") && other.equals("cdc"))) {
          assertThat(a + " closure holds " + other + ": " + names, names.stream().noneMatch(n -> n.startsWith("tributary-" + other + "-")));
        }
      }
      table.append(String.format(Locale.ROOT, "| `tributary-%s` | %d | %.1f |%n", a, jars.size(), megabytes(jars)));
    }
    Files.writeString(Path.of("target", "closures.md"), table);
    System.out.println("Dependency closures (compile scope, without a runner):\n" + table);
  }

  private static List<Path> jars(Path root, String module) throws IOException {
    try (Stream<Path> files = Files.list(root.resolve(module).resolve("target/closure"))) {
      return files.sorted().toList();
    }
  }

  private static double megabytes(List<Path> files) throws IOException {
    long bytes = 0;
    for (Path f : files) {
      bytes += Files.size(f);
    }
    return bytes / 1e6;
  }

  /** The command line of a consumer build: the private repository, the main one as a file repository. */
  private static List<String> mvn(String goal) {
    return List.of(
        "mvn", "-B",
        "-s", Path.of("consumers", "settings.xml").toAbsolutePath().toString(),
        "-Dmaven.repo.local=" + System.getProperty("tributary.consumers.repo"),
        "-Dtributary.main.repo.url=" + Path.of(System.getProperty("tributary.main.repo")).toUri(),
        "-Dtributary.version=" + System.getProperty("tributary.version"),
        goal);
  }

  private static void delete(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> old = Files.walk(dir)) {
        for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static Path copy(Path from, Path to) throws IOException {
    delete(to);
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    return to.toAbsolutePath();
  }

  private static String tail(String text) {
    return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
  }
}
