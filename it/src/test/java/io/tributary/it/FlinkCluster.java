package io.tributary.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The Flink session cluster that {@code it/services.sh} runs, driven as a user drives one: through
 * its REST API (upload, run, stop with a savepoint, job state, checkpoints), Flink's command line
 * client ({@code runners/bin/flink}) and, for failure tests, {@code kill -9} of a TaskManager
 * process followed by {@code services.sh start flink}, which starts it again.
 */
final class FlinkCluster {
  /** The project's root directory (the parent of {@code it/}). */
  static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

  /** The shaded job jar the runners module builds. */
  static final Path JOB_JAR = ROOT.resolve("runners/target/tributary-flink-job.jar");

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String base;

  FlinkCluster(String rest) {
    this.base = "http://" + rest;
  }

  static FlinkCluster fromServices() {
    return new FlinkCluster(Services.flinkRest());
  }

  String rest() {
    return base.substring("http://".length());
  }

  /** Uploads a jar (POST /jars/upload); returns its id for {@link #run}. */
  String upload(Path jar) throws IOException, InterruptedException {
    String boundary = "----tributary" + UUID.randomUUID();
    String head =
        "--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
            + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n";
    String tail = "\r\n--" + boundary + "--\r\n";
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
            .timeout(Duration.ofMinutes(5))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(
                HttpRequest.BodyPublishers.concat(
                    HttpRequest.BodyPublishers.ofString(head),
                    HttpRequest.BodyPublishers.ofFile(jar),
                    HttpRequest.BodyPublishers.ofString(tail)))
            .build();
    String filename = send(request).path("filename").asText();
    return Path.of(filename).getFileName().toString();
  }

  /**
   * Runs an uploaded jar's main class with the arguments (POST /jars/:id/run); returns the job id.
   * The program runs detached.
   */
  String run(String jarId, List<String> args) throws IOException, InterruptedException {
    ObjectNode body = MAPPER.createObjectNode();
    body.putArray("programArgsList").addAll(args.stream().map(MAPPER.getNodeFactory()::textNode).toList());
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId + "/run"))
            .timeout(Duration.ofMinutes(3))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    return send(request).path("jobid").asText();
  }

  /** Cancels every job of the cluster that has not ended (PATCH /jobs/:id?mode=cancel). */
  void cancelRunningJobs() throws IOException, InterruptedException {
    for (JsonNode job : get("/jobs/overview").path("jobs")) {
      if (!Set.of("FINISHED", "FAILED", "CANCELED").contains(job.path("state").asText())) {
        send(
            HttpRequest.newBuilder(URI.create(base + "/jobs/" + job.path("jid").asText() + "?mode=cancel"))
                .timeout(Duration.ofSeconds(30))
                .method("PATCH", HttpRequest.BodyPublishers.noBody())
                .build());
      }
    }
  }

  /** The job's state: RUNNING, FINISHED, FAILED, ... */
  String state(String jobId) throws IOException, InterruptedException {
    return get("/jobs/" + jobId).path("state").asText();
  }

  /** The number of completed checkpoints of the job. */
  long completedCheckpoints(String jobId) throws IOException, InterruptedException {
    return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
  }

  /** The number of times the job restarted after failures (its {@code numRestarts} metric). */
  long restarts(String jobId) throws IOException, InterruptedException {
    return get("/jobs/" + jobId + "/metrics?get=numRestarts").path(0).path("value").asLong();
  }

  /**
   * The sum of the attempt numbers of the job's subtasks: it grows whenever a failure restarts any
   * of them, and never shrinks (unlike the exception history, which keeps 16 entries).
   */
  long attempts(String jobId) throws IOException, InterruptedException {
    long sum = 0;
    for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
      for (JsonNode subtask : get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText()).path("subtasks")) {
        sum += subtask.path("attempt").asLong();
      }
    }
    return sum;
  }

  /** The resource ids ({@code taskmanager-N}) of the TaskManagers running the job's subtasks. */
  Set<String> taskManagersOf(String jobId) throws IOException, InterruptedException {
    Set<String> ids = new java.util.TreeSet<>();
    for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
      for (JsonNode tm : get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/taskmanagers").path("taskmanagers")) {
        ids.add(tm.path("taskmanager-id").asText());
      }
    }
    return ids;
  }

  /** All subtasks of every vertex of the job run (not only the job as a whole). */
  boolean allRunning(String jobId) throws IOException, InterruptedException {
    JsonNode job = get("/jobs/" + jobId);
    if (!job.path("state").asText().equals("RUNNING")) {
      return false;
    }
    for (JsonNode vertex : job.path("vertices")) {
      if (!vertex.path("status").asText().equals("RUNNING")) {
        return false;
      }
    }
    return true;
  }

  /** Waits until the job is in one of the states; fails on the deadline or a terminal other state. */
  void awaitState(String jobId, Set<String> states, Duration deadline) throws Exception {
    String[] last = {""};
    await(
        "job " + jobId + " in " + states,
        deadline,
        () -> {
          last[0] = uncheckedState(jobId);
          if (!states.contains(last[0]) && Set.of("FAILED", "CANCELED", "FINISHED").contains(last[0])) {
            throw new AssertionError("job " + jobId + " ended " + last[0] + ", expected " + states);
          }
          return states.contains(last[0]);
        });
  }

  /** The pid of a TaskManager process ({@code taskmanager-1}, ...), from its pid file. */
  static long taskManagerPid(String name) throws IOException {
    return Long.parseLong(Files.readString(Services.flinkDir().resolve(name + ".pid")).trim());
  }

  /** Kills a TaskManager with SIGKILL, as a machine failure would, and waits until it is gone. */
  static void killTaskManager(String name) throws Exception {
    long pid = taskManagerPid(name);
    ProcessHandle process =
        ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(name + " (pid " + pid + ") is not running"));
    Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new AssertionError("kill -9 " + pid + " failed");
    }
    process.onExit().get(30, TimeUnit.SECONDS);
  }

  /** Starts whatever of the cluster is not running (services.sh start flink) and waits for it. */
  static void startMissing() throws Exception {
    long start = System.nanoTime();
    Process p =
        new ProcessBuilder(ROOT.resolve("it/services.sh").toString(), "start", "flink")
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new AssertionError("services.sh start flink failed:\n" + output);
    }
    timeline(start, "for services.sh start flink");
  }

  /** Runs Flink's command line client ({@code runners/bin/flink}); returns exit code and output. */
  static Result flinkCommand(List<String> args, Duration deadline) throws Exception {
    List<String> command = new ArrayList<>(List.of(ROOT.resolve("runners/bin/flink").toString()));
    command.addAll(args);
    return exec(command, deadline);
  }

  /** A finished process: its exit code and its standard output and error, interleaved. */
  record Result(int exitCode, String output) {}

  static Result exec(List<String> command, Duration deadline) throws Exception {
    long start = System.nanoTime();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                out.append("(output unreadable: ").append(e).append(')');
              }
            });
    reader.start();
    if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      reader.join(5000);
      throw new AssertionError("no exit within " + deadline + ": " + command + "\n" + out);
    }
    reader.join(10_000);
    timeline(start, "for " + String.join(" ", command.subList(0, Math.min(3, command.size()))));
    return new Result(p.exitValue(), out.toString());
  }

  /**
   * Polls the condition every 500 ms until it holds, then prints how long that took (the test's
   * timeline); fails naming what was awaited.
   */
  static void await(String what, Duration deadline, BooleanSupplier condition) throws InterruptedException {
    long start = System.nanoTime();
    long end = start + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("waited " + deadline + " for " + what);
      }
      Thread.sleep(500);
    }
    timeline(start, "until " + what);
  }

  /** Prints a line of the test's timeline: the time of day and the seconds since {@code start}. */
  private static void timeline(long start, String what) {
    System.out.printf("%tT %6.1f s %s%n", System.currentTimeMillis(), (System.nanoTime() - start) / 1e9, what);
  }

  private String uncheckedState(String jobId) {
    return uncheckedGet("/jobs/" + jobId).path("state").asText();
  }

  private JsonNode uncheckedGet(String path) {
    try {
      return get(path);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  JsonNode get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build());
  }

  private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new AssertionError(
          request.method() + " " + request.uri() + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return MAPPER.readTree(response.body());
  }
}
