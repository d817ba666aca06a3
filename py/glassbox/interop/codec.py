"""Specs (spec.py) to ONNX model bytes and back, with the ``onnx`` package: CPython only.

``onnx`` is imported inside the functions, so importing this module (and ``glassbox``) works in
Pyodide, which has no ``onnx``; the browser's twin is ``site/js/engine/onnx-codec.js``.

Writing (``spec_to_bytes``): one ModelProto; the default-domain opset is the spec's 'opset',
any other domain a node uses is imported at version 1; ir_version is the lowest that opset
needs (8 for opset 17: what onnxruntime 1.x and onnxruntime-web read). Symbolic dimensions
become dim_param, None an unknown dimension, a shape of None no shape; initializers take their
declared 'dtype'; subgraph attributes (a spec dict) become GraphProtos.

Reading (``spec_from_bytes``) parses with onnx's own parser (ModelProto.ParseFromString) and
raises ``OnnxFileError`` (spec.py) naming the problem: empty data, an HTML page, bytes that are
no ONNX protobuf, a truncated file, tensors stored as external data, data types outside
float32 / int64 / int32 / bool. Constant nodes become initializers (a spec has no tensor
attributes); graph inputs that are initializers (IR < 4 style) are not listed as inputs.
Other domains' opset versions are not kept.
"""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from .spec import DTYPES, OnnxFileError, initializer_array

PRODUCER = 'glassbox'
# spec dtype -> onnx.TensorProto data type number (FLOAT, INT64, INT32, BOOL)
ONNX_TYPES = {'float32': 1, 'int64': 7, 'int32': 6, 'bool': 9}
SPEC_TYPES = {number: name for name, number in ONNX_TYPES.items()}
HTML_STARTS = (b'<!doctype', b'<html', b'<?xml', b'<head', b'<body')


# -- writing -------------------------------------------------------------------------------
def _value_info(item: "Dict[str, Any]"):
    from onnx import helper
    shape = item.get('shape')
    return helper.make_tensor_value_info(item['name'], ONNX_TYPES[item['dtype']],
                                         None if shape is None else list(shape))


def _attribute(name: str, value: "Any"):
    from onnx import AttributeProto, helper
    if isinstance(value, dict):
        return helper.make_attribute(name, _graph(value))
    if isinstance(value, (bool, np.bool_)):
        value = int(value)
    elif isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        value = [v.item() if isinstance(v, np.generic) else (int(v) if isinstance(v, bool) else v) for v in value]
        if not value:
            return helper.make_attribute(name, [], attr_type=AttributeProto.INTS)
    return helper.make_attribute(name, value)


def _graph(spec: "Dict[str, Any]"):
    from onnx import helper, numpy_helper
    nodes = []
    for item in spec['nodes']:
        proto = helper.make_node(item['op'], list(item['inputs']), list(item['outputs']), name=item.get('name') or None,
                                 domain=item.get('domain') or None)
        proto.attribute.extend(_attribute(k, v) for k, v in sorted((item.get('attrs') or {}).items()))
        nodes.append(proto)
    inits = [numpy_helper.from_array(initializer_array(item), item['name']) for item in spec.get('initializers', ())]
    return helper.make_graph(nodes, spec.get('name') or 'graph', [_value_info(v) for v in spec['inputs']],
                             [_value_info(v) for v in spec['outputs']], inits, doc_string=spec.get('doc') or None)


def _domains(spec: "Dict[str, Any]", found: "set") -> "set":
    for item in spec['nodes']:
        if item.get('domain'):
            found.add(item['domain'])
        for value in (item.get('attrs') or {}).values():
            if isinstance(value, dict):
                _domains(value, found)
    return found


def spec_to_bytes(spec: "Dict[str, Any]") -> bytes:
    """ONNX model bytes of ``spec`` (module docstring)."""
    from onnx import helper
    opsets = [helper.make_opsetid('', int(spec['opset']))]
    opsets += [helper.make_opsetid(domain, 1) for domain in sorted(_domains(spec, set()))]
    try:
        ir_version = helper.find_min_ir_version_for(opsets, ignore_unknown=True)
    except TypeError:  # older onnx without ignore_unknown
        ir_version = helper.find_min_ir_version_for(opsets[:1])
    model = helper.make_model(_graph(spec), opset_imports=opsets, producer_name=PRODUCER,
                              doc_string=spec.get('doc') or '')
    model.ir_version = max(int(ir_version), 8)
    version = (spec.get('metadata') or {}).get('glassbox.version')
    if version:
        model.producer_version = str(version)
    helper.set_model_props(model, {str(k): str(v) for k, v in (spec.get('metadata') or {}).items()})
    return model.SerializeToString()


# -- reading -------------------------------------------------------------------------------
def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    if head.startswith(b'\xef\xbb\xbf'):
        head = head[3:].lstrip()
    return head.startswith(HTML_STARTS) or (head.startswith(b'<') and b'<html' in data[:4096].lower())


def _starts_like_onnx(data: bytes) -> bool:
    """Does the first field parse (with onnx's parser) as a plausible ir_version (1..99)? Writers
    emit fields in number order, so an ONNX file starts with ir_version (field 1, a varint)."""
    from onnx import ModelProto
    if len(data) < 2 or data[0] != 0x08:
        return False
    probe = ModelProto()
    try:
        probe.ParseFromString(data[:2])
    except Exception:
        return False
    return 1 <= probe.ir_version < 100


def _dtype(number: int, what: str) -> str:
    if number in SPEC_TYPES:
        return SPEC_TYPES[number]
    from onnx import TensorProto
    try:
        name = TensorProto.DataType.Name(number)
    except ValueError:
        name = 'type %d' % number
    hint = ' (convert the model to float32 before exporting, e.g. model.float() in PyTorch)' \
        if name in ('DOUBLE', 'FLOAT16', 'BFLOAT16') else ''
    raise OnnxFileError('%s has data type %s: Glassbox reads %s%s' % (what, name, ', '.join(DTYPES), hint))


def _tensor(proto, what: str) -> "Dict[str, Any]":
    from onnx import TensorProto, numpy_helper
    if proto.data_location == TensorProto.EXTERNAL or proto.external_data:
        location = [e.value for e in proto.external_data if e.key == 'location']
        raise OnnxFileError('%s is stored as external data%s: Glassbox reads one self-contained .onnx file '
                            '(save it with onnx.save_model(model, path, save_as_external_data=False))'
                            % (what, " (in file '%s')" % location[0] if location else ''))
    dtype = _dtype(proto.data_type, what)
    try:
        array = numpy_helper.to_array(proto)
    except Exception as exc:
        raise OnnxFileError('%s cannot be read: %s' % (what, exc))
    return {'name': proto.name, 'dtype': dtype, 'array': np.asarray(array, dtype=np.dtype(array.dtype))}


def _shape(type_proto, what: str):
    if not type_proto.HasField('tensor_type'):
        raise OnnxFileError('%s is not a tensor (a sequence or map): not supported' % what)
    tensor = type_proto.tensor_type
    dtype = _dtype(tensor.elem_type, what)
    if not tensor.HasField('shape'):
        return dtype, None
    dims = []
    for dim in tensor.shape.dim:
        if dim.HasField('dim_value'):
            dims.append(int(dim.dim_value))
        elif dim.HasField('dim_param'):
            dims.append(str(dim.dim_param))
        else:
            dims.append(None)
    return dtype, dims


def _read_value_info(proto) -> "Dict[str, Any]":
    dtype, shape = _shape(proto.type, "value '%s'" % proto.name)
    return {'name': proto.name, 'dtype': dtype, 'shape': shape}


def _read_attribute(attr, owner: str) -> "Any":
    from onnx import AttributeProto, helper
    kind = attr.type
    if kind == AttributeProto.GRAPH:
        return _read_graph(attr.g)
    if kind in (AttributeProto.TENSOR, AttributeProto.SPARSE_TENSOR, AttributeProto.TENSORS, AttributeProto.GRAPHS,
                AttributeProto.SPARSE_TENSORS, AttributeProto.TYPE_PROTO, AttributeProto.TYPE_PROTOS):
        raise OnnxFileError("%s has attribute '%s' of kind %s: not supported"
                            % (owner, attr.name, AttributeProto.AttributeType.Name(kind)))
    value = helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    if isinstance(value, list):
        return [v.decode('utf-8', 'replace') if isinstance(v, bytes) else v for v in value]
    return value


def _constant(proto) -> "Dict[str, Any]":
    """A Constant node's value as an initializer named after its output."""
    from onnx import helper
    owner = "node '%s' (Constant)" % (proto.name or proto.output[0])
    if len(proto.attribute) != 1:
        raise OnnxFileError('%s needs exactly one value attribute' % owner)
    attr = proto.attribute[0]
    if attr.name == 'value':
        item = _tensor(attr.t, "tensor '%s' of %s" % (proto.output[0], owner))
    elif attr.name in ('value_float', 'value_floats', 'value_int', 'value_ints'):
        value = helper.get_attribute_value(attr)
        dtype = 'float32' if 'float' in attr.name else 'int64'
        item = {'dtype': dtype, 'array': np.asarray(value, dtype=np.float32 if dtype == 'float32' else np.int64)}
    else:
        raise OnnxFileError("%s has attribute '%s': not supported" % (owner, attr.name))
    item['name'] = proto.output[0]
    return item


def _read_graph(graph) -> "Dict[str, Any]":
    inits = [_tensor(t, "tensor '%s'" % t.name) for t in graph.initializer]
    if graph.sparse_initializer:
        name = graph.sparse_initializer[0].values.name
        raise OnnxFileError("tensor '%s' is a sparse initializer: not supported" % name)
    nodes = []
    for proto in graph.node:
        if proto.op_type == 'Constant' and proto.domain in ('', 'ai.onnx') and len(proto.output) == 1:
            inits.append(_constant(proto))
            continue
        owner = "node '%s' (%s)" % (proto.name or (proto.output[0] if proto.output else '?'), proto.op_type)
        nodes.append({'op': proto.op_type, 'inputs': list(proto.input), 'outputs': list(proto.output),
                      'name': proto.name, 'attrs': {a.name: _read_attribute(a, owner) for a in proto.attribute},
                      'domain': proto.domain})
    constant_names = {item['name'] for item in inits}
    return {'name': graph.name, 'doc': graph.doc_string,
            'inputs': [_read_value_info(v) for v in graph.input if v.name not in constant_names],
            'outputs': [_read_value_info(v) for v in graph.output], 'initializers': inits, 'nodes': nodes}


def _parse(data: bytes):
    from onnx import ModelProto
    model = ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as exc:
        if _starts_like_onnx(data):
            raise OnnxFileError('the ONNX file is truncated: it starts like an ONNX model but ends early, after '
                                '%d bytes; download or copy it again' % len(data))
        raise OnnxFileError('not an ONNX model: these %d bytes do not parse as an ONNX protobuf (%s)'
                            % (len(data), type(exc).__name__))
    if not model.HasField('graph') or not model.opset_import:
        if _starts_like_onnx(data):
            raise OnnxFileError('the ONNX file is truncated: it has no %s after %d bytes; download or copy it again'
                                % ('graph' if not model.HasField('graph') else 'opset import', len(data)))
        raise OnnxFileError('not an ONNX model: these %d bytes hold no ONNX graph' % len(data))
    return model


def spec_from_bytes(data: "Any") -> "Dict[str, Any]":
    """The spec of ONNX model bytes (module docstring); OnnxFileError says what is wrong."""
    if isinstance(data, memoryview) or isinstance(data, bytearray):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise OnnxFileError('ONNX data must be bytes, got %s' % type(data).__name__)
    if not data:
        raise OnnxFileError('the file is empty (0 bytes): no ONNX model in it')
    if _looks_like_html(data):
        raise OnnxFileError('this is an HTML page (%d bytes), not an ONNX model: the download probably saved '
                            'a web page (an error or sign-in page) instead of the .onnx file' % len(data))
    model = _parse(data)
    opset = [o.version for o in model.opset_import if o.domain in ('', 'ai.onnx')]
    spec = _read_graph(model.graph)
    spec.update(opset=int(opset[0]) if opset else 0, doc=model.doc_string or model.graph.doc_string,
                metadata={p.key: p.value for p in model.metadata_props})
    return spec


def check_bytes(data: bytes) -> "List[str]":
    """onnx.checker's complaints about model bytes ([] when it accepts them; tests use this)."""
    import onnx
    try:
        onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    except Exception as exc:
        return [str(exc)]
    return []
