// src/cli/run.ts imports a command's module only when that command runs (code that is loaded
// stays in memory): here the modules of other commands are mocked, and a mock's factory runs
// only when its module is imported.
import { describe, expect, it, vi } from "vitest";
import { run } from "../../src/cli/run.js";
import type { Io } from "../../src/cli/io.js";

const loaded = vi.hoisted(() => [] as string[]);

vi.mock("../../src/cli/commands/analyze.js", () => {
  loaded.push("analyze");
  return { analyze: async (_argv: string[], io: Io) => { io.out("analyze ran"); } };
});
vi.mock("../../src/cli/commands/compare.js", () => {
  loaded.push("compare");
  return { compare: async () => undefined };
});
vi.mock("../../src/cli/commands/sparse.js", () => {
  loaded.push("sparse");
  return { sparseSummary: "sparse        SUMMARY", commands: { sparse: async (_argv: string[], io: Io) => { io.out("sparse ran"); } } };
});

async function latent(...argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await run(argv, { out: (l) => out.push(l), err: (l) => err.push(l), tty: false });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("latent's command dispatch", () => {
  it("loads no other command's module for train, and finds commands of later modules", async () => {
    const help = await latent("train", "--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("--epochs");
    expect(loaded).toEqual([]);

    expect(await latent("analyze")).toMatchObject({ code: 0, out: "analyze ran" });
    expect(loaded).toEqual(["analyze"]);

    // sparse's module is the last one looked in; decompress is in compress's.
    expect(await latent("sparse")).toMatchObject({ code: 0, out: "sparse ran" });
    expect(loaded).toEqual(["analyze", "sparse"]);
    expect((await latent("decompress", "--help")).code).toBe(0);
    expect(loaded).not.toContain("compare");
  }, 60_000);

  it("lists every command in its help, and names an unknown one", async () => {
    const help = await latent("--help");
    expect(help.code).toBe(0);
    for (const name of ["train", "denoise", "retrieve", "compress", "anomaly", "sparse        SUMMARY"]) expect(help.out).toContain(name);
    expect(await latent()).toMatchObject({ code: 2 });
    const unknown = await latent("nosuch");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "nosuch"');
  }, 60_000);
});
