export { pca, project, type Pca } from "./pca.js";
