package io.tributary.transforms.sentiment;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** The tab-separated files of this package: comment lines start with '#', blank lines are skipped. */
final class Tsv {
  private Tsv() {}

  /** What to do with one row: its 1-based line number, the line, and its tab-separated fields. */
  interface Row {
    void accept(int line, String text, String[] fields) throws IOException;
  }

  /** Calls {@code row} for every line that is neither blank nor a comment. */
  static void read(BufferedReader reader, Row row) throws IOException {
    String line;
    int n = 0;
    while ((line = reader.readLine()) != null) {
      n++;
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      row.accept(n, line, line.split("\t"));
    }
  }

  /** {@link #read} over a UTF-8 stream. */
  static void read(InputStream in, Row row) throws IOException {
    read(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), row);
  }
}
