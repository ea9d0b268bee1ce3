import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { base64, encodePng, escapeHtml, raster, renderReport, VizError } from "../../src/viz/index.js";

describe("report", () => {
  it("base64 agrees with Node's Buffer for every length, 0 and 1 included", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 9000 }), (b) => {
      expect(base64(b)).toBe(Buffer.from(b).toString("base64"));
    }), { numRuns: 200 });
  });

  it("escapes markup in every text it is given", () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe("&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;");
  });

  it("inlines each picture as a PNG that decodes to the same pixels, and escapes titles and cells", async () => {
    const r = raster(3, 2, [10, 20, 30]);
    const html = await renderReport({
      title: "a <b> title", subtitle: ["n = 5"],
      sections: [{ heading: "one", text: ["x < y"], tables: [{ columns: ["rep", "acc"], rows: [["codes", 0.51234], ["<pixels>", NaN]] }],
        images: [{ caption: "c", image: r }, { caption: "d", image: await encodePng(r) }] }],
    });
    expect(html).toContain("<title>a &lt;b&gt; title</title>");
    expect(html).toContain("<td>0.512</td>");
    expect(html).toContain("<th>&lt;pixels&gt;</th><td>n/a</td>");
    const uris = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1]!);
    expect(uris).toHaveLength(2);
    const { PNG } = await import("pngjs");
    for (const u of uris) {
      const png = PNG.sync.read(Buffer.from(u, "base64"));
      expect([png.width, png.height]).toEqual([3, 2]);
      expect([...png.data.subarray(0, 4)]).toEqual([10, 20, 30, 255]);
    }
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it("refuses a table row of the wrong width and bytes that are not a PNG", async () => {
    await expect(renderReport({ title: "t", sections: [{ heading: "h", tables: [{ columns: ["a", "b"], rows: [["x"]] }] }] })).rejects.toThrow(VizError);
    await expect(renderReport({ title: "t", sections: [{ heading: "h", images: [{ caption: "c", image: new Uint8Array([1, 2, 3]) }] }] })).rejects.toThrow(/not PNG data/);
  });
});
