// One character in its own three.js canvas, posed by one take at time t: the morph target influences of every mesh
// whose targets carry the take's channel names, and the quaternions of the joints the take rotates.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const BACKGROUND = 0x2b2f36;

export class HeadView {
  constructor(container, take) {
    this.take = take;
    this.element = document.createElement('div');
    this.element.className = 'fm-head';
    const label = document.createElement('div');
    label.className = 'fm-label';
    label.textContent = take.name;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    this.element.append(this.renderer.domElement, label);
    container.append(this.element);
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(BACKGROUND);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x303030, 0.9));
    const key = new THREE.DirectionalLight(0xffffff, 2.2);
    key.position.set(-0.6, 0.7, 1.0);
    this.scene.add(key);
    this.camera = new THREE.PerspectiveCamera(30, 1, 0.01, 100);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener('change', () => this.draw());
    this.bindings = [];
    this.joints = [];
  }

  // Parse the character (GLB bytes) and bind the take's channels and joints to it by name.
  async load(glb) {
    const gltf = await new GLTFLoader().parseAsync(glb, '');
    this.scene.add(gltf.scene);
    gltf.scene.updateMatrixWorld(true);
    const box = new THREE.Box3();
    gltf.scene.traverse((object) => {
      if (!object.isMesh || !object.morphTargetDictionary) return;
      const pairs = this.take.channels.map((name, c) => [c, object.morphTargetDictionary[name]])
        .filter(([, m]) => m !== undefined);
      if (pairs.length === 0) return;
      this.bindings.push({ mesh: object, pairs });
      box.union(new THREE.Box3().setFromBufferAttribute(object.geometry.attributes.position)
        .applyMatrix4(object.matrixWorld));
    });
    if (this.bindings.length === 0) {
      throw new Error(`no morph target of the character is named like a channel of take ${this.take.name}`);
    }
    for (const [name, quaternions] of Object.entries(this.take.joints)) {
      const node = gltf.scene.getObjectByName(name);
      if (node) this.joints.push({ node, quaternions, q0: new THREE.Quaternion(), q1: new THREE.Quaternion() });
    }
    this.frame(box);
  }

  // Aim the camera at the upper 75 % of the driven meshes' rest box (the face), from the front (+Z).
  frame(box) {
    const size = box.getSize(new THREE.Vector3());
    const centre = new THREE.Vector3((box.min.x + box.max.x) / 2, box.min.y + 0.6 * size.y, box.max.z);
    const distance = (0.5 * 0.8 * Math.max(size.y, size.x)) / Math.tan(THREE.MathUtils.degToRad(15));
    this.camera.position.set(centre.x, centre.y, box.max.z + distance);
    this.camera.near = distance / 100;
    this.camera.far = distance * 100;
    this.controls.target.copy(centre);
    this.controls.update();
  }

  // Pose the character at time t (seconds) and draw it.
  show(t) {
    const position = this.take.frameAt(t);
    for (const { mesh, pairs } of this.bindings) {
      for (const [c, m] of pairs) mesh.morphTargetInfluences[m] = this.take.weight(c, position);
    }
    const [i0, i1, a] = position;
    for (const { node, quaternions, q0, q1 } of this.joints) {
      node.quaternion.slerpQuaternions(q0.fromArray(quaternions, 4 * i0), q1.fromArray(quaternions, 4 * i1), a);
    }
    this.draw();
  }

  draw() { this.renderer.render(this.scene, this.camera); }

  resize(width, height) {
    this.renderer.setSize(width, height);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.draw();
  }

  // {target name: influence} of the first driven mesh, and {joint: [x, y, z, w]}: what is on screen.
  pose() {
    const { mesh } = this.bindings[0];
    const influences = Object.fromEntries(Object.entries(mesh.morphTargetDictionary)
      .map(([name, m]) => [name, mesh.morphTargetInfluences[m]]));
    const joints = Object.fromEntries(this.joints.map(({ node }) => [node.name, node.quaternion.toArray()]));
    return { influences, joints };
  }

  dispose() {
    this.controls.dispose();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
  }
}
