package io.tributary.testing;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Seeded mutations of good records, and the check that a parser accounts for every input: what
 * it outputs plus what it rejects is exactly what it was given, each rejection keeping the
 * rejected input's bytes.
 */
public final class Fuzz {
  private Fuzz() {}

  private static final byte[][] FRAGMENTS = {
    "{".getBytes(StandardCharsets.UTF_8), "}".getBytes(StandardCharsets.UTF_8), "[".getBytes(StandardCharsets.UTF_8),
    "\"".getBytes(StandardCharsets.UTF_8), ":".getBytes(StandardCharsets.UTF_8), ",".getBytes(StandardCharsets.UTF_8),
    "null".getBytes(StandardCharsets.UTF_8), "true".getBytes(StandardCharsets.UTF_8), "-1".getBytes(StandardCharsets.UTF_8),
    "1e309".getBytes(StandardCharsets.UTF_8), "99999999999999999999999".getBytes(StandardCharsets.UTF_8),
    "\\u0000".getBytes(StandardCharsets.UTF_8), "\\ud800".getBytes(StandardCharsets.UTF_8), " xyz".getBytes(StandardCharsets.UTF_8),
    {(byte) 0xff}, {(byte) 0xc3}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {0}, "\n".getBytes(StandardCharsets.UTF_8),
  };

  /**
   * {@code count} inputs made from {@code seeds} by one to three mutations each: a byte flipped,
   * a range deleted, a fragment of JSON syntax, a huge number, an escape or invalid UTF-8 inserted,
   * a slice duplicated, the record cut short, two records concatenated, junk appended. The same
   * seed gives the same inputs.
   */
  public static List<byte[]> mutants(List<byte[]> seeds, int count, long seed) {
    Random random = new Random(seed);
    List<byte[]> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] b = seeds.get(random.nextInt(seeds.size())).clone();
      for (int m = 1 + random.nextInt(3); m > 0; m--) {
        b = mutate(b, seeds, random);
      }
      out.add(b);
    }
    return out;
  }

  private static byte[] mutate(byte[] b, List<byte[]> seeds, Random random) {
    int at = b.length == 0 ? 0 : random.nextInt(b.length);
    switch (random.nextInt(8)) {
      case 0 -> {
        if (b.length > 0) {
          b[at] ^= (byte) (1 << random.nextInt(8));
        }
        return b;
      }
      case 1 -> {
        int end = Math.min(b.length, at + 1 + random.nextInt(8));
        return concat(Arrays.copyOfRange(b, 0, at), Arrays.copyOfRange(b, end, b.length));
      }
      case 2 -> {
        byte[] f = FRAGMENTS[random.nextInt(FRAGMENTS.length)];
        return concat(Arrays.copyOfRange(b, 0, at), f, Arrays.copyOfRange(b, at, b.length));
      }
      case 3 -> {
        int end = Math.min(b.length, at + 1 + random.nextInt(12));
        return concat(Arrays.copyOfRange(b, 0, end), Arrays.copyOfRange(b, at, b.length));
      }
      case 4 -> {
        return Arrays.copyOfRange(b, 0, at);
      }
      case 5 -> {
        return concat(b, seeds.get(random.nextInt(seeds.size())));
      }
      case 6 -> {
        return concat(b, FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
      }
      default -> {
        // Swap a digit for another: values stay well-formed but change.
        for (int k = 0; k < b.length; k++) {
          int j = (at + k) % b.length;
          if (b[j] >= '0' && b[j] <= '9') {
            b[j] = (byte) ('0' + random.nextInt(10));
            break;
          }
        }
        return b;
      }
    }
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /**
   * The number of mutants {@link #parser} feeds a parser: 10,000, or the system property {@code
   * tributary.fuzz.mutants} (the build's second run of the transform tests, on embedded Flink, sets
   * 2,000: the parsers do not depend on the runner, and the Direct run feeds every mutant).
   */
  public static final int MUTANTS = mutantCount();

  private static int mutantCount() {
    int n = Integer.getInteger("tributary.fuzz.mutants", 10_000);
    if (n < 1) {
      throw new IllegalArgumentException("tributary.fuzz.mutants must be positive, got " + n);
    }
    return n;
  }

  /**
   * Feeds {@link #MUTANTS} mutants of {@code seeds} (made with {@code seed}) and the seeds
   * themselves to {@code parse} in {@code p}, and asserts that its outputs and failures account
   * for every one of them (see {@link #accountsForEveryInput}). Run the pipeline afterwards.
   */
  public static <T, F> void parser(
      Pipeline p, String name, List<byte[]> seeds, long seed,
      PTransform<PCollection<byte[]>, WithFailures.Result<PCollection<T>, F>> parse, SerializableFunction<F, byte[]> payload) {
    List<byte[]> inputs = new ArrayList<>(mutants(seeds, MUTANTS, seed));
    inputs.addAll(seeds);
    WithFailures.Result<PCollection<T>, F> parsed =
        p.apply(name + "/Inputs", Create.of(inputs).withCoder(ByteArrayCoder.of())).apply(name + "/Parse", parse);
    accountsForEveryInput(name + ", seed " + seed, inputs, parsed.output(), parsed.failures(), payload);
  }

  /**
   * Asserts, when the pipeline runs, that {@code outputs} and {@code failures} account for every
   * one of {@code inputs}: as many outputs and failures together as inputs, and the failures'
   * payloads (read by {@code payload}) a sub-multiset of the inputs. For transforms that give one
   * output or one failure per input, as the parsers do.
   */
  public static <T, F> void accountsForEveryInput(
      String name, List<byte[]> inputs, PCollection<T> outputs, PCollection<F> failures, SerializableFunction<F, byte[]> payload) {
    PCollection<String> accepted =
        outputs.apply(name + "/Accepted", MapElements.into(TypeDescriptors.strings()).via(o -> "+"));
    PCollection<String> rejected =
        failures.apply(name + "/Rejected",
            MapElements.into(TypeDescriptors.strings()).via(f -> "-" + Base64.getEncoder().encodeToString(payload.apply(f))));
    PAssert.that(name, PCollectionList.of(accepted).and(rejected).apply(name + "/All", Flatten.pCollections()))
        .satisfies(new Accounts(name, inputs));
  }

  private static final class Accounts implements SerializableFunction<Iterable<String>, Void>, Serializable {
    private final String name;
    private final List<String> inputs = new ArrayList<>();

    Accounts(String name, List<byte[]> inputs) {
      this.name = name;
      for (byte[] b : inputs) {
        this.inputs.add(Base64.getEncoder().encodeToString(b));
      }
    }

    @Override
    public Void apply(Iterable<String> results) {
      Map<String, Integer> unclaimed = new HashMap<>();
      inputs.forEach(i -> unclaimed.merge(i, 1, Integer::sum));
      long accepted = 0;
      long rejected = 0;
      for (String r : results) {
        if (r.equals("+")) {
          accepted++;
          continue;
        }
        rejected++;
        String p = r.substring(1);
        Integer left = unclaimed.get(p);
        if (left == null || left == 0) {
          throw new AssertionError("a failure's payload is none of the inputs (or more failures than copies): "
              + new String(Base64.getDecoder().decode(p), StandardCharsets.UTF_8));
        }
        unclaimed.put(p, left - 1);
      }
      if (accepted + rejected != inputs.size()) {
        throw new AssertionError(String.format(
            "%d inputs but %d outputs + %d failures = %d: %s", inputs.size(), accepted, rejected, accepted + rejected,
            accepted + rejected < inputs.size() ? "inputs lost" : "inputs counted twice"));
      }
      System.out.printf("%s: %,d inputs, %,d parsed, %,d rejected with their bytes%n", name, inputs.size(), accepted, rejected);
      return null;
    }
  }
}
