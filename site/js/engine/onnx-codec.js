// ONNX files <-> graph specs (py/glassbox/interop/spec.py describes a spec; the engine builds and
// checks the graphs, this file only turns them into bytes and back). Uses no DOM, so it runs in
// the page and in a worker. The CPython twin is py/glassbox/interop/codec.py (the `onnx` package).
//
// encodeModel(spec) -> Uint8Array: ModelProto bytes (IR version 8 for opset 17). Arrays are
//   {dtype, shape, data} as the wire gives them; an initializer's ONNX type is its own 'dtype'
//   field (the wire narrows int64 to int32). Attribute types: JSON cannot tell 1.0 from 1, so a
//   float attribute that happens to be integral (Gemm alpha=1.0) would come out as INT;
//   ATTRIBUTE_TYPES names the type of every attribute of the ops Glassbox writes or reads; others
//   fall back to the JS value's kind (integer -> INT, other number -> FLOAT, string, arrays of
//   those, a spec object -> GRAPH). A new op with a float attribute needs its row there.
//   Initializers are written as raw little-endian bytes.
// decodeModel(bytes) -> spec, or throws OnnxFileError whose message names the problem (empty file,
//   a web page, not ONNX, truncated, external data, an unsupported tensor type, ...). Whether the
//   graph is an MLP Glassbox can train is the engine's question (op 'load_model').
import {onnx} from '../../vendor/onnx-proto.mjs';

// The IR version a default-domain opset needs (onnx's table); 8 up to opset 18 (what
// onnxruntime 1.x and onnxruntime-web read), newer opsets need newer IR versions.
const IR_FOR_OPSET = {19: 9, 20: 9, 21: 10, 22: 10, 23: 11, 24: 11, 25: 12};
export const irVersionFor = (opset) => IR_FOR_OPSET[opset] || (opset > 25 ? 12 : 8);

/** A file that is not an ONNX model this page can read; the message says why, for a student. */
export class OnnxFileError extends Error {
  constructor(message) {
    super(message);
    this.name = 'OnnxFileError';
  }
}

const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;
// spec dtype <-> ONNX element type; the wire type (a typed array) each is read into.
const ELEM = {float32: DT.FLOAT, int64: DT.INT64, int32: DT.INT32, bool: DT.BOOL};
const ELEM_NAME = Object.fromEntries(Object.entries(ELEM).map(([name, code]) => [code, name]));
const BYTES = {float32: 4, int64: 8, int32: 4, bool: 1};

// 'Op.attribute' -> ONNX attribute type (see the header: the JSON wire loses float-vs-int).
const ATTRIBUTE_TYPES = {
  'Gemm.alpha': 'FLOAT', 'Gemm.beta': 'FLOAT', 'Gemm.transA': 'INT', 'Gemm.transB': 'INT',
  'LeakyRelu.alpha': 'FLOAT', 'Elu.alpha': 'FLOAT', 'Selu.alpha': 'FLOAT', 'Selu.gamma': 'FLOAT',
  'HardSigmoid.alpha': 'FLOAT', 'HardSigmoid.beta': 'FLOAT', 'Clip.min': 'FLOAT', 'Clip.max': 'FLOAT',
  'Softmax.axis': 'INT', 'LogSoftmax.axis': 'INT', 'Flatten.axis': 'INT', 'Concat.axis': 'INT',
  'Gather.axis': 'INT', 'OneHot.axis': 'INT', 'Cast.to': 'INT', 'Transpose.perm': 'INTS',
  'ArgMax.axis': 'INT', 'ArgMax.keepdims': 'INT', 'ArgMax.select_last_index': 'INT', 'Split.axis': 'INT',
  'ArgMin.axis': 'INT', 'ArgMin.keepdims': 'INT', 'Celu.alpha': 'FLOAT', 'ThresholdedRelu.alpha': 'FLOAT',
  'LayerNormalization.epsilon': 'FLOAT', 'LayerNormalization.axis': 'INT', 'BatchNormalization.epsilon': 'FLOAT',
  'BatchNormalization.momentum': 'FLOAT',
  'ReduceMax.keepdims': 'INT', 'ReduceMax.axes': 'INTS', 'ReduceSum.keepdims': 'INT',
  'ReduceSum.noop_with_empty_axes': 'INT', 'ReduceMean.keepdims': 'INT', 'ReduceMean.axes': 'INTS',
  'ReduceSumSquare.keepdims': 'INT', 'ReduceSumSquare.axes': 'INTS', 'ReduceLogSumExp.keepdims': 'INT',
  'ReduceLogSumExp.axes': 'INTS', 'Squeeze.axes': 'INTS', 'Unsqueeze.axes': 'INTS',
  'Constant.value_float': 'FLOAT', 'Constant.value_floats': 'FLOATS', 'Constant.value_int': 'INT',
  'Constant.value_ints': 'INTS', 'Dropout.seed': 'INT', 'CumSum.exclusive': 'INT', 'CumSum.reverse': 'INT',
  'SoftmaxCrossEntropyLoss.reduction': 'STRING', 'SoftmaxCrossEntropyLoss.ignore_index': 'INT',
  'Loop.body': 'GRAPH', 'If.then_branch': 'GRAPH', 'If.else_branch': 'GRAPH', 'Scan.body': 'GRAPH',
};

// ------------------------------------------------------------------------------------ encode

const isGraph = (value) => value && typeof value === 'object' && !Array.isArray(value) && Array.isArray(value.nodes);

function attributeType(op, name, value) {
  const declared = ATTRIBUTE_TYPES[op + '.' + name];
  if (declared) return declared;
  const kind = (v) => (typeof v === 'string' ? 'STRING' : Number.isInteger(v) || typeof v === 'boolean' ? 'INT' : 'FLOAT');
  if (isGraph(value)) return 'GRAPH';
  if (Array.isArray(value)) {
    const kinds = new Set(value.map(kind));
    return kinds.has('STRING') ? 'STRINGS' : kinds.has('FLOAT') ? 'FLOATS' : 'INTS';
  }
  return kind(value);
}

function encodeAttribute(op, name, value) {
  const type = attributeType(op, name, value);
  const where = `attribute ${name} of ${op}`;
  const int = (v) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`${where} must be an integer, got ${v}`);
    return n;
  };
  const out = {name, type: AT[type]};
  if (type === 'FLOAT') out.f = Number(value);
  else if (type === 'INT') out.i = int(value);
  else if (type === 'STRING') out.s = new TextEncoder().encode(String(value));
  else if (type === 'GRAPH') out.g = encodeGraph(value);
  else if (type === 'FLOATS') out.floats = value.map(Number);
  else if (type === 'INTS') out.ints = value.map(int);
  else if (type === 'STRINGS') out.strings = value.map((s) => new TextEncoder().encode(String(s)));
  return out;
}

function valueInfo({name, dtype, shape}) {
  if (!(dtype in ELEM)) throw new Error(`value ${name}: dtype must be one of ${Object.keys(ELEM).join(', ')}, got ${dtype}`);
  // null: an unknown dimension; a null shape: unknown rank (no shape at all)
  const dim = (shape || []).map((d) => (d == null ? {} : typeof d === 'string' ? {dimParam: d} : {dimValue: d}));
  return {name, type: {tensorType: {elemType: ELEM[dtype], ...(shape == null ? {} : {shape: {dim}})}}};
}

/** One initializer -> TensorProto, data as little-endian raw bytes in its declared ONNX type. */
function encodeTensor({name, dtype, array}) {
  if (!(dtype in ELEM)) throw new Error(`initializer ${name}: dtype must be one of ${Object.keys(ELEM).join(', ')}, got ${dtype}`);
  const values = ArrayBuffer.isView(array) ? array : array.data;
  const shape = ArrayBuffer.isView(array) ? [array.length] : array.shape;
  const raw = new DataView(new ArrayBuffer(values.length * BYTES[dtype]));
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'float32') raw.setFloat32(4 * i, values[i], true);
    else if (dtype === 'int64') raw.setBigInt64(8 * i, BigInt(values[i]), true);
    else if (dtype === 'int32') raw.setInt32(4 * i, values[i], true);
    else raw.setUint8(i, values[i] ? 1 : 0);
  }
  return {name, dims: shape, dataType: ELEM[dtype], rawData: new Uint8Array(raw.buffer)};
}

function encodeGraph(spec) {
  return {
    name: spec.name || 'graph',
    docString: spec.doc || '',
    input: (spec.inputs || []).map(valueInfo),
    output: (spec.outputs || []).map(valueInfo),
    initializer: (spec.initializers || []).map(encodeTensor),
    node: (spec.nodes || []).map((n) => ({
      opType: n.op, name: n.name || '', domain: n.domain || '', input: n.inputs || [], output: n.outputs || [],
      attribute: Object.entries(n.attrs || {}).map(([key, value]) => encodeAttribute(n.op, key, value)),
    })),
  };
}

/** A spec (py/glassbox/interop/spec.py) -> the bytes of an ONNX model file. */
export function encodeModel(spec) {
  const domains = new Set();
  const visit = (graph) => (graph.nodes || []).forEach((n) => {
    if (n.domain) domains.add(n.domain);
    Object.values(n.attrs || {}).filter(isGraph).forEach(visit);
  });
  visit(spec);
  const model = {
    irVersion: irVersionFor(spec.opset),
    producerName: 'glassbox',
    docString: spec.doc || '',
    opsetImport: [{domain: '', version: spec.opset}, ...[...domains].map((domain) => ({domain, version: 1}))],
    graph: encodeGraph(spec),
    metadataProps: Object.entries(spec.metadata || {}).map(([key, value]) => ({key, value: String(value)})),
  };
  return onnx.ModelProto.encode(model).finish();
}

// ------------------------------------------------------------------------------------ decode

// int64 fields: numbers (protobufjs has no Long library here); a Long-like object just in case.
const toNumber = (v) => (typeof v === 'number' ? v : v && typeof v.toNumber === 'function' ? v.toNumber() : Number(v));
const typeName = (code) => onnx.TensorProto.DataType[code] || `type ${code}`;
// int64 crosses the wire as int32 (protocol/wire.py); values beyond it (e.g. Slice's "to the
// end" = 2^63 - 1) saturate, which keeps their meaning for the shapes an MLP has.
const saturate = (n) => Math.max(-2147483648, Math.min(2147483647, n));

/** TensorProto -> {name, dtype, array: {dtype, shape, data}}; `where` names it in errors. */
function decodeTensor(t, where) {
  const name = t.name || '(unnamed)';
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData && t.externalData.length)) {
    const file = (t.externalData || []).find((e) => e.key === 'location');
    throw new OnnxFileError(`${where} "${name}" keeps its data in an external file` +
      (file ? ` ("${file.value}")` : '') + '. Glassbox reads single-file models only: save the model with ' +
      'its weights inside (onnx.save_model(model, path, save_as_external_data=False)).');
  }
  const dtype = ELEM_NAME[t.dataType];
  if (!dtype) {
    throw new OnnxFileError(`${where} "${name}" has data type ${typeName(t.dataType)}; Glassbox reads ` +
      'float32, int64, int32 and bool tensors only (convert it to float32 before exporting).');
  }
  const shape = (t.dims || []).map(toNumber);
  const size = shape.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  const listed = dtype === 'float32' ? t.floatData : dtype === 'int64' ? t.int64Data : t.int32Data;
  const count = raw ? raw.length / BYTES[dtype] : (listed || []).length;
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || count !== size) {
    throw new OnnxFileError(`${where} "${name}" has shape [${shape.join(', ')}] but holds ${count} values: ` +
      'the file is truncated or damaged.');
  }
  const wire = dtype === 'float32' ? 'float32' : dtype === 'bool' ? 'uint8' : 'int32';
  const data = new {float32: Float32Array, uint8: Uint8Array, int32: Int32Array}[wire](size);
  const view = raw && new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < size; i++) {
    if (!raw) data[i] = dtype === 'int64' ? saturate(toNumber(listed[i])) : dtype === 'bool' ? (listed[i] ? 1 : 0) : listed[i];
    else if (dtype === 'float32') data[i] = view.getFloat32(4 * i, true);
    else if (dtype === 'int64') data[i] = saturate(Number(view.getBigInt64(8 * i, true)));
    else if (dtype === 'int32') data[i] = view.getInt32(4 * i, true);
    else data[i] = view.getUint8(i) ? 1 : 0;
  }
  return {name: t.name, dtype, array: {dtype: wire, shape, data}};
}

function decodeValueInfo(v, graph) {
  const tensor = v.type && v.type.tensorType;
  if (!tensor) throw new OnnxFileError(`graph "${graph}": "${v.name}" is not a tensor (sequences and maps are not read).`);
  const dtype = ELEM_NAME[tensor.elemType];
  if (!dtype) throw new OnnxFileError(`graph "${graph}": "${v.name}" has data type ${typeName(tensor.elemType)}; ` +
    'Glassbox reads float32, int64, int32 and bool tensors only.');
  const shape = tensor.shape
    ? (tensor.shape.dim || []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNumber(d.dimValue) : null))
    : null;  // null: a dimension (or, for the shape, the rank) the file leaves unknown
  return {name: v.name, dtype, shape};
}

const text = (bytes) => new TextDecoder().decode(bytes);

function decodeAttribute(a, node) {
  const where = `node "${node}" attribute ${a.name}`;
  switch (a.type) {
    case AT.FLOAT: return a.f;
    case AT.INT: return toNumber(a.i);
    case AT.STRING: return text(a.s);
    case AT.GRAPH: return decodeGraph(a.g);
    case AT.FLOATS: return Array.from(a.floats);
    case AT.INTS: return a.ints.map(toNumber);
    case AT.STRINGS: return a.strings.map(text);
    case AT.TENSOR: return decodeTensor(a.t, `Node "${node}" attribute ${a.name}: tensor`).array;
    default: throw new OnnxFileError(`${where} is of type ${AT[a.type] || a.type}, which Glassbox does not read.`);
  }
}

// A Constant node's value attribute -> [ONNX dtype, wire typed array] (the spec has no tensor
// attributes: a constant is an initializer named after the node's output, as codec.py reads it).
const CONSTANT_VALUES = {value_float: ['float32', Float32Array], value_floats: ['float32', Float32Array],
  value_int: ['int64', Int32Array], value_ints: ['int64', Int32Array]};

function constantInitializer(n, nodeName) {
  const [a] = n.attribute || [];
  if ((n.attribute || []).length !== 1) throw new OnnxFileError(`Node "${nodeName}" (Constant) needs exactly one value attribute.`);
  if (a.name === 'value') {
    const named = Object.create(a.t);  // the tensor, named after the node's output
    named.name = n.output[0];
    return decodeTensor(named, 'Tensor');
  }
  if (!(a.name in CONSTANT_VALUES)) throw new OnnxFileError(`Node "${nodeName}" (Constant) has attribute ${a.name}: not supported.`);
  const value = decodeAttribute(a, nodeName);
  const [dtype, Typed] = CONSTANT_VALUES[a.name];
  const data = Typed.from(Array.isArray(value) ? value : [value], dtype === 'int64' ? saturate : Number);
  return {name: n.output[0], dtype, array: {dtype: dtype === 'int64' ? 'int32' : 'float32', shape: Array.isArray(value) ? [data.length] : [], data}};
}

function decodeGraph(g) {
  const name = g.name || 'graph';
  if (g.sparseInitializer && g.sparseInitializer.length) {
    const t = g.sparseInitializer[0].values || {};
    throw new OnnxFileError(`graph "${name}": sparse initializer "${t.name || '(unnamed)'}" is not supported; store it dense.`);
  }
  const initializers = (g.initializer || []).map((t) => decodeTensor(t, 'Tensor'));
  const nodes = [];
  (g.node || []).forEach((n, index) => {
    const nodeName = n.name || (n.output && n.output[0]) || `#${index} (${n.opType})`;
    if (n.opType === 'Constant' && (!n.domain || n.domain === 'ai.onnx') && (n.output || []).length === 1) {
      initializers.push(constantInitializer(n, nodeName));
      return;
    }
    const node = {op: n.opType, inputs: [...(n.input || [])], outputs: [...(n.output || [])], name: n.name || '',
      attrs: Object.fromEntries((n.attribute || []).map((a) => [a.name, decodeAttribute(a, nodeName)]))};
    if (n.domain && n.domain !== 'ai.onnx') node.domain = n.domain;
    nodes.push(node);
  });
  const constants = new Set(initializers.map((i) => i.name));
  return {
    name,
    doc: g.docString || '',
    // Old exporters list the weights as graph inputs too; an input with an initializer is a constant.
    inputs: (g.input || []).filter((v) => !constants.has(v.name)).map((v) => decodeValueInfo(v, name)),
    outputs: (g.output || []).map((v) => decodeValueInfo(v, name)),
    initializers,
    nodes,
  };
}

/** The first bytes of a protobuf-encoded ModelProto as exporters write it: field 1 (ir_version). */
const looksLikeModel = (bytes) => bytes.length >= 2 && bytes[0] === 0x08 && bytes[1] >= 1 && bytes[1] <= 30;

const asBytes = (input) => (input instanceof Uint8Array ? input
  : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  : input instanceof ArrayBuffer ? new Uint8Array(input) : null);

/** Bytes of an ONNX file -> a spec; throws OnnxFileError naming what is wrong with the file. */
export function decodeModel(input) {
  const bytes = asBytes(input);
  if (!bytes) throw new OnnxFileError('Expected the bytes of an .onnx file (Uint8Array or ArrayBuffer).');
  if (bytes.length === 0) throw new OnnxFileError('The file is empty (0 bytes): there is no ONNX model in it.');
  const first = bytes.find((b) => ![0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf].includes(b));
  if (first === 0x3c) {  // '<'
    throw new OnnxFileError('This is a web page (HTML/XML text starting with "<"), not an ONNX model: ' +
      'the link probably points at a download page instead of the .onnx file itself.');
  }
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    if (looksLikeModel(bytes) && /index out of range/.test(error.message)) {
      throw new OnnxFileError(`The file is truncated: it starts like an ONNX model but ends after ${bytes.length} ` +
        'bytes, in the middle of the model. Download or copy it again.');
    }
    throw new OnnxFileError(`This is not an ONNX model: its ${bytes.length} bytes are not an ONNX ModelProto ` +
      `(protobuf: ${error.message}).`);
  }
  const ir = toNumber(model.irVersion);
  if (!model.graph || !(ir >= 1 && ir <= 100)) {
    throw new OnnxFileError(looksLikeModel(bytes)
      ? `The file is truncated or damaged: it starts like an ONNX model but has no ${model.graph ? 'valid IR version' : 'graph'}.`
      : `This is not an ONNX model: its ${bytes.length} bytes hold no ONNX graph.`);
  }
  const opset = (model.opsetImport || []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opset) throw new OnnxFileError('The model imports no standard ONNX operator set (opset): the file is truncated or not a standard ONNX model.');
  const graph = decodeGraph(model.graph);
  return {
    ...graph,
    doc: graph.doc || model.docString || '',
    opset: toNumber(opset.version),
    metadata: Object.fromEntries((model.metadataProps || []).map((p) => [p.key, p.value])),
  };
}

/** Bytes from what a user hands over: Uint8Array, ArrayBuffer, a Blob/File, or a same-origin URL. */
export async function readModelBytes(source, base = globalThis.location && globalThis.location.href) {
  if (asBytes(source)) return asBytes(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  if (typeof source === 'string' && source.trim()) {
    const url = new URL(source.trim(), base);
    if (base && url.origin !== new URL(base).origin) {
      throw new OnnxFileError(`${url.href} is on another site; load a file from this site (${new URL(base).origin}), or download it and open the file.`);
    }
    let response;
    try {
      response = await fetch(url.href);
    } catch (error) {
      throw new OnnxFileError(`Could not fetch ${url.href}: ${error.message || error}.`);
    }
    if (!response.ok) throw new OnnxFileError(`Could not fetch ${url.href}: HTTP ${response.status} ${response.statusText}`.trim() + '.');
    return new Uint8Array(await response.arrayBuffer());
  }
  throw new OnnxFileError('loadModel takes the bytes of an .onnx file (Uint8Array, ArrayBuffer), a File/Blob, or a URL on this site.');
}
