package org.homeserver.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.conformance.Conformance;
import org.homeserver.mls.conformance.EpochResult;
import org.homeserver.mls.conformance.PassiveClientCase;
import org.homeserver.mls.conformance.Summary;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.describe.MessageDescription;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.validation.KeyPackageValidator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code homeserver mls ...}: tools for client developers, offline (no server involved). */
@Command(name = "mls", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
    description = "Inspect MLS (RFC 9420) messages; check the server's group state against test vectors.",
    subcommands = {MlsCommands.Decode.class, MlsCommands.CheckConformance.class})
final class MlsCommands {
  @Spec
  CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  @Command(name = "decode", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
      description = "Decode one MLSMessage (binary, hex or base64) and print it as JSON: wire format, group, epoch, "
          + "sender, proposals, commit; for KeyPackages the suite, credential, KeyPackageRef, lifetime and validation. "
          + "Malformed input: exit status 1 and the decoder's error (field, offset, reason) on stderr.")
  static final class Decode implements Callable<Integer> {
    /** The most bytes read: hex of the codec's largest input, with room for line breaks. */
    static final int MAX_READ_BYTES = 4 * MlsReader.MAX_INPUT_BYTES;

    @ParentCommand
    MlsCommands mls;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "The message; '-' or absent: standard input.")
    String file;

    @Option(names = "--input", paramLabel = "FORMAT", converter = FormatConverter.class,
        description = "binary, hex or base64 (default: detected). Hex and base64 may contain whitespace.")
    InputFormat format;

    @Override
    public Integer call() {
      byte[] input;
      try {
        input = read();
      } catch (IOException e) {
        return fail("cannot read " + (isStdin() ? "standard input" : file) + ": " + reason(e));
      }
      try {
        MlsMessage message = MlsMessage.decode(bytes(input));
        KeyPackageValidator validator = new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ofHours(1),
            Clock.systemUTC());
        mls.out().println(DescriptionJson.write(MessageDescription.of(message, validator)));
        mls.out().flush();
        return 0;
      } catch (MlsDecodeException e) {
        return fail(e.getMessage());
      }
    }

    private int fail(String message) {
      mls.err().println("error: " + message);
      mls.err().flush();
      return 1;
    }

    private boolean isStdin() {
      return file == null || file.equals("-");
    }

    private byte[] read() throws IOException {
      if (isStdin()) {
        return System.in.readNBytes(MAX_READ_BYTES + 1);
      }
      try (InputStream in = Files.newInputStream(Path.of(file))) {
        return in.readNBytes(MAX_READ_BYTES + 1);
      }
    }

    private byte[] bytes(byte[] input) throws MlsDecodeException {
      if (input.length > MAX_READ_BYTES) {
        throw new MlsDecodeException("input", 0, "more than " + MAX_READ_BYTES + " bytes; at most that many are read");
      }
      return (format != null ? format : InputFormat.detect(input)).bytes(input);
    }

  }

  @Command(name = "conformance", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
      description = "Run a passive-client test-vector file of the MLS working group (passive-client-welcome.json, "
          + "passive-client-handling-commit.json, passive-client-random.json) through the server's public group "
          + "state: join at each case's Welcome, apply each epoch's proposals and commit, and refuse each GroupInfo "
          + "and commit with one signature bit flipped. One line per case and epoch, then "
          + "'N of M epochs accepted, K tampered refused' (', S skipped (PrivateMessage)' if any were). "
          + "Exit status 0 if every epoch was accepted and every tampered copy refused, 1 if not, "
          + "2 if FILE cannot be read or is not such a file.")
  static final class CheckConformance implements Callable<Integer> {
    /** The largest vector file read; the working group's largest is a few megabytes. */
    static final long MAX_FILE_BYTES = 256L * 1024 * 1024;
    static final int UNREADABLE = 2;

    @ParentCommand
    MlsCommands mls;

    @Parameters(paramLabel = "FILE", description = "The vector file (JSON).")
    String file;

    @Option(names = "--quiet", description = "Print only the final line.")
    boolean quiet;

    @Override
    public Integer call() {
      List<PassiveClientCase> cases;
      try {
        cases = PassiveClientVectorFile.parse(read());
      } catch (IOException e) {
        return unreadable("cannot read " + file + ": " + reason(e));
      } catch (PassiveClientVectorFile.NotVectors e) {
        return unreadable(file + ": " + e.getMessage());
      }
      if (cases.isEmpty()) {
        return unreadable(file + ": no test cases: not a passive-client vector file");
      }
      KeyPackageValidator validator = new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ofHours(1),
          Clock.systemUTC());
      Conformance conformance = new Conformance(validator);
      List<EpochResult> results = new ArrayList<>();
      for (PassiveClientCase c : cases) {
        List<EpochResult> ofCase = conformance.check(c);
        if (!quiet) {
          ofCase.forEach(r -> mls.out().println(r.line()));
        }
        results.addAll(ofCase);
      }
      Summary summary = Summary.of(results);
      mls.out().println(summary.line());
      mls.out().flush();
      return summary.passed() ? 0 : 1;
    }

    private byte[] read() throws IOException {
      Path path = Path.of(file);
      if (Files.size(path) > MAX_FILE_BYTES) {
        throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
      }
      return Files.readAllBytes(path);
    }

    private int unreadable(String message) {
      mls.err().println("error: " + message);
      mls.err().flush();
      return UNREADABLE;
    }
  }

  static String reason(IOException e) {
    return switch (e) {
      case NoSuchFileException n -> "no such file";
      case AccessDeniedException a -> "permission denied";
      default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    };
  }

  /** How the message's bytes are written down, and how to read them back. */
  enum InputFormat {
    BINARY {
      @Override
      byte[] bytes(byte[] input) {
        return input;
      }
    },
    /** Hex digits, either case, whitespace anywhere; errors point at the offending character. */
    HEX {
      @Override
      byte[] bytes(byte[] text) throws MlsDecodeException {
        byte[] out = new byte[(text.length + 1) / 2];
        int digits = 0;
        for (int i = 0; i < text.length; i++) {
          char c = (char) (text[i] & 0xff);
          if (Character.isWhitespace(c)) {
            continue;
          }
          int value = Character.digit(c, 16);
          if (value < 0) {
            String shown = c > 0x20 && c < 0x7f ? "'" + c + "'" : String.format("byte 0x%02x", (int) c);
            throw new MlsDecodeException("input", i, shown + " is not a hex digit");
          }
          out[digits / 2] = (byte) (out[digits / 2] << 4 | value);
          digits++;
        }
        if (digits % 2 != 0) {
          throw new MlsDecodeException("input", text.length, "an odd number of hex digits (" + digits + ")");
        }
        return Arrays.copyOf(out, digits / 2);
      }
    },
    /** Standard or URL-safe base64, padded or not, whitespace anywhere. */
    BASE64 {
      @Override
      byte[] bytes(byte[] text) throws MlsDecodeException {
        String compact = new String(text, StandardCharsets.ISO_8859_1).replaceAll("\\s", "");
        Base64.Decoder decoder = compact.indexOf('-') >= 0 || compact.indexOf('_') >= 0
            ? Base64.getUrlDecoder() : Base64.getDecoder();
        try {
          return decoder.decode(compact);
        } catch (IllegalArgumentException e) {
          throw new MlsDecodeException("input", 0, "not base64: " + e.getMessage());
        }
      }
    };

    /** The message's bytes, from {@code input} written in this format. */
    abstract byte[] bytes(byte[] input) throws MlsDecodeException;

    static InputFormat parse(String name) {
      for (InputFormat f : values()) {
        if (f.name().equalsIgnoreCase(name)) {
          return f;
        }
      }
      throw new CommandLine.TypeConversionException("expected binary, hex or base64, not '" + name + "'");
    }

    /**
     * Binary MLS starts with a zero byte (the version's high byte), which text never holds; text of
     * hex digits alone is hex, other text base64 (whose decoder says if it is not).
     */
    static InputFormat detect(byte[] input) {
      if (input.length == 0 || input[0] == 0 || !isText(input)) {
        return BINARY;
      }
      for (byte b : input) {
        if (Character.digit(b, 16) < 0 && !Character.isWhitespace(b)) {
          return BASE64;
        }
      }
      return HEX;
    }

    private static boolean isText(byte[] input) {
      for (byte b : input) {
        if (b < 0x09 || b > 0x7e) {
          return false;
        }
      }
      return true;
    }
  }

  static final class FormatConverter implements CommandLine.ITypeConverter<InputFormat> {
    @Override
    public InputFormat convert(String value) {
      return InputFormat.parse(value);
    }
  }
}
