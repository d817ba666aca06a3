import '../../../vendor/d3.min.js';
export default globalThis.d3;
