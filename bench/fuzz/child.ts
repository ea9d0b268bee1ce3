/**
 * The fuzz harness's child process: serves the parent's cases with the project's loaders
 * (the protocol and the measurements: ./serve.ts).
 */
import { load } from "./formats.js";
import { serve } from "./serve.js";

export type { CaseReply, CaseRequest, LoadRequest } from "./serve.js";

serve(load);
