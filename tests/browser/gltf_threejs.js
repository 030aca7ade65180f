// Loads glTF files with three.js's GLTFLoader and reports what an application would see:
// the morph target names, the clip duration and mesh.morphTargetInfluences after AnimationMixer.setTime(t);
// for a skinned head, the local quaternions (x, y, z, w) of its joints (Neck, LeftEye, RightEye) and the posed
// positions of chosen vertices (morph targets, then skinning: SkinnedMesh.getVertexPosition).
// Driven by run_threejs.mjs, which calls window.facemotion.sample(...) and window.facemotion.render(...).
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';

function morphMesh(scene) {
  let found = null;
  scene.traverse((object) => { if (object.isMesh && object.morphTargetInfluences) found = object; });
  if (found === null) throw new Error('no mesh with morph targets in the scene');
  return found;
}

// Play the file's only clip once, clamped at its end, so that setTime(duration) shows the last frame.
function player(gltf) {
  if (gltf.animations.length !== 1) throw new Error(`expected 1 animation, got ${gltf.animations.length}`);
  const clip = gltf.animations[0];
  const mixer = new THREE.AnimationMixer(gltf.scene);
  const action = mixer.clipAction(clip);
  action.setLoop(THREE.LoopOnce, 1);
  action.clampWhenFinished = true;
  const seek = (t) => { action.reset().play(); mixer.setTime(t); };
  return { clip, seek };
}

const JOINTS = ['Neck', 'LeftEye', 'RightEye'];

async function sample(url, times, vertices = []) {
  const gltf = await new GLTFLoader().loadAsync(url);
  const mesh = morphMesh(gltf.scene);
  const { clip, seek } = player(gltf);
  const joints = JOINTS.map((name) => gltf.scene.getObjectByName(name)).filter((joint) => joint !== undefined);
  const rotations = Object.fromEntries(joints.map((joint) => [joint.name, []]));
  const positions = [];
  const influences = times.map((t) => {
    seek(t);
    gltf.scene.updateMatrixWorld(true);
    if (mesh.isSkinnedMesh) mesh.skeleton.update();
    joints.forEach((joint) => rotations[joint.name].push(joint.quaternion.toArray()));
    positions.push(vertices.map((i) => mesh.getVertexPosition(i, new THREE.Vector3()).toArray()));
    return Array.from(mesh.morphTargetInfluences);
  });
  return {
    skinned: mesh.isSkinnedMesh === true,
    joints: rotations,
    positions,
    clipName: clip.name,
    duration: clip.duration,
    tracks: clip.tracks.map((track) => track.name),
    morphTargetCount: mesh.morphTargetInfluences.length,
    morphTargetDictionary: mesh.morphTargetDictionary,
    vertexCount: mesh.geometry.attributes.position.count,
    influences,
  };
}

// Render the head at time t, lit from the front, the camera framing the face; returns when drawn.
async function render(url, t, width, height) {
  const gltf = await new GLTFLoader().loadAsync(url);
  const mesh = morphMesh(gltf.scene);
  player(gltf).seek(t);

  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setSize(width, height);
  renderer.setPixelRatio(1);
  document.body.appendChild(renderer.domElement);

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x2b2f36);
  scene.add(gltf.scene);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x303030, 0.9));
  const key = new THREE.DirectionalLight(0xffffff, 2.2);
  key.position.set(-0.6, 0.7, 1.0);
  scene.add(key);

  // Frame the face: the upper 70 % of the neutral mesh's box (geometry.boundingBox would also hold the
  // extent of the morph targets).
  const box = new THREE.Box3().setFromBufferAttribute(mesh.geometry.attributes.position);
  const size = box.getSize(new THREE.Vector3());
  const centre = new THREE.Vector3((box.min.x + box.max.x) / 2, box.min.y + 0.62 * size.y, box.max.z);
  const camera = new THREE.PerspectiveCamera(30, width / height, 0.01, 10);
  const distance = (0.5 * 0.72 * size.y) / Math.tan(THREE.MathUtils.degToRad(15));
  camera.position.set(centre.x, centre.y, box.max.z + distance);
  camera.lookAt(centre);

  renderer.render(scene, camera);
  await new Promise((resolve) => requestAnimationFrame(resolve));
  return {
    influences: Array.from(mesh.morphTargetInfluences),
    webgl: renderer.capabilities.isWebGL2 ? 2 : 1,
    box: [box.min.toArray(), box.max.toArray()], camera: camera.position.toArray(),
    pixels: pixelStatistics(renderer, scene.background),
  };
}

// What covers the canvas: the fraction of pixels that differ from the background by more than 24 in a
// channel (the head) and their mean RGB in bytes.
function pixelStatistics(renderer, background) {
  const gl = renderer.getContext();
  const { width, height } = renderer.domElement;
  const rgba = new Uint8Array(width * height * 4);
  gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
  const colour = background.clone().convertLinearToSRGB();
  const back = [colour.r, colour.g, colour.b].map((c) => Math.round(c * 255));
  let count = 0;
  const sum = [0, 0, 0];
  for (let i = 0; i < rgba.length; i += 4) {
    if ([0, 1, 2].some((c) => Math.abs(rgba[i + c] - back[c]) > 24)) {
      count += 1;
      for (let c = 0; c < 3; c += 1) sum[c] += rgba[i + c];
    }
  }
  return { coverage: count / (width * height), meanRgb: sum.map((s) => s / Math.max(count, 1)), background: back };
}

window.facemotion = { sample, render };
window.facemotionReady = true;
