package io.tributary.runners.dataflow;

import com.google.api.services.dataflow.model.DataflowPackage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.runners.dataflow.util.PackageUtil;
import org.apache.beam.runners.dataflow.util.Stager;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Dataflow {@link Stager} that uploads nothing: each file is described by the package it would
 * become under {@code --stagingLocation}, and that is all. With {@code --templateLocation=<local
 * file>}, {@code NoopCredentialFactory} and {@code NoopPathValidator}, the Dataflow runner then
 * translates a pipeline and writes its job specification without any network access: how the
 * translation of every pipeline is checked offline, and a way to inspect a job before submitting
 * it.
 *
 * <pre>{@code
 * tributary fraud --runner=DataflowRunner --project=p --region=us-central1 \
 *     --gcpTempLocation=gs://b/tmp --stagingLocation=gs://b/staging --templateLocation=/tmp/job.json \
 *     --credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory \
 *     --pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator \
 *     --stagerClass=io.tributary.runners.dataflow.OfflineStager
 * }</pre>
 *
 * <p>With Runner v2 ({@code --experiments=use_runner_v2}) the job file holds no steps: the runner
 * stages the pipeline as a portable pipeline proto, {@code pipeline.pb}, and names it in the job.
 * When {@code --templateLocation} is a local file, this stager writes what it is given to stage
 * as bytes (that proto) into the same directory, so both runner versions can be read offline.
 *
 * <p>The job file it leads to names packages that were never uploaded: it is for reading, not for
 * launching.
 */
public final class OfflineStager implements Stager {
  private final String stagingLocation;
  private final @Nullable Path localDirectory;

  private OfflineStager(String stagingLocation, @Nullable Path localDirectory) {
    this.stagingLocation = stagingLocation.replaceAll("/+$", "");
    this.localDirectory = localDirectory;
  }

  /** What the runner calls (through {@code --stagerClass}) to obtain its stager. */
  public static OfflineStager fromOptions(PipelineOptions options) {
    String staging = options.as(DataflowPipelineOptions.class).getStagingLocation();
    if (staging == null || staging.isBlank()) {
      throw new IllegalArgumentException("OfflineStager: --stagingLocation is not set");
    }
    String template = options.as(DataflowPipelineOptions.class).getTemplateLocation();
    Path local = null;
    if (template != null && !template.isBlank() && !template.contains("://")) {
      Path parent = Path.of(template).toAbsolutePath().getParent();
      local = parent == null ? Path.of(".") : parent;
    }
    return new OfflineStager(staging, local);
  }

  @Override
  public List<DataflowPackage> stageFiles(List<PackageUtil.StagedFile> files) {
    List<DataflowPackage> packages = new ArrayList<>(files.size());
    for (PackageUtil.StagedFile file : files) {
      packages.add(describe(file.getDestination()));
    }
    return packages;
  }

  @Override
  public DataflowPackage stageToFile(byte[] bytes, String target) {
    if (localDirectory != null) {
      Path file = localDirectory.resolve(target);
      try {
        Files.createDirectories(localDirectory);
        Files.write(file, bytes);
      } catch (IOException e) {
        throw new UncheckedIOException("OfflineStager: cannot write " + file, e);
      }
    }
    return describe(target);
  }

  private DataflowPackage describe(String name) {
    return new DataflowPackage().setName(name).setLocation(stagingLocation + "/" + name);
  }
}
