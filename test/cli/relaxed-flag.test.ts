// The command turns on relaxed SIMD where the runtime has it behind a flag (Node 20), so that
// --isa auto trains on the relaxed build. Setting a V8 flag is process-wide, so the check runs
// in a child vitest process (LATENT_RELAXED_FLAG_CHILD=1) started without the flag.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enableRelaxedSimd } from "../../src/cli/relaxed-simd.js";
import { relaxedSimdSupported } from "../../src/kernels/module.js";
import { latent } from "./support.js";

const root = new URL("../..", import.meta.url).pathname;
const inChild = process.env.LATENT_RELAXED_FLAG_CHILD === "1";

describe.skipIf(inChild)("relaxed SIMD turned on by the command", () => {
  it("runs the check in a child process started without the flag", () => {
    const out = execFileSync(process.execPath, [join(root, "node_modules/vitest/vitest.mjs"), "run", "test/cli/relaxed-flag.test.ts"], {
      cwd: root, env: { ...process.env, LATENT_RELAXED_FLAG_CHILD: "1", NO_COLOR: "1" }, stdio: "pipe", maxBuffer: 1 << 24,
    }).toString();
    expect(out).toMatch(/\b1 passed, 0 failed\b/);
  }, 180_000);
});

describe.runIf(inChild)("in the child", () => {
  it("enableRelaxedSimd makes relaxed SIMD valid, and train --isa auto then runs the relaxed build on 1 and 2 threads alike", async () => {
    const before = relaxedSimdSupported();
    expect(enableRelaxedSimd()).toBe(true);
    expect(relaxedSimdSupported()).toBe(true);
    expect(enableRelaxedSimd()).toBe(true); // idempotent
    const dir = await mkdtemp(join(tmpdir(), "latent-relaxed-"));
    try {
      const files: Uint8Array[] = [];
      for (const threads of ["1", "2"]) {
        const r = await latent("train", "--epochs", "1", "--limit", "256", "--batch", "64", "--threads", threads, "--out", join(dir, threads));
        expect(r.code, r.err.join("\n")).toBe(0);
        expect(r.out[0]).toMatch(new RegExp(`kernels: relaxed, ${threads} thread`));
        files.push(await readFile(join(dir, threads, "model.safetensors")));
      }
      expect(Buffer.compare(files[0]!, files[1]!)).toBe(0);
      // (on a runtime with relaxed SIMD on by default there was nothing to turn on)
      expect(typeof before).toBe("boolean");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
