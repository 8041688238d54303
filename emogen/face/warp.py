"""A fast renderer that moves the real photo by its face-mesh landmarks.

How it works:

1. Once per portrait: the 468 mesh points (irises excluded: they ride along with the eye), a ring
   of fixed anchors outside the face oval and fixed points on the image border are triangulated
   (Delaunay). Every pixel of the face region of interest (ROI, the ring's bounding box) gets its
   containing triangle's barycentric weights, stored as a sparse matrix ``W (pixels, 468)``.
2. Per frame: the displacement field is ``W @ (target - rest)``, a piecewise-linear field that is
   exactly zero on and beyond the ring, so background, hair and shoulders stay pixel-identical.
   The backward map ``p = x - d(p)`` is solved by two fixed-point steps (the first is the usual
   first-order inverse); where they do not settle (lips or lids opening from a slit) the pixels
   are mapped exactly through their triangle in the target mesh. ``cv2.remap`` then samples the
   ORIGINAL crop (never the previous frame, so nothing drifts over long clips) on the ROI only.
3. Where a warp cannot invent content it paints: an open mouth gets a cavity (dark red-brown,
   darkest at the back), a tongue (a dome on the floor of the mouth sized from the face, lit on
   top, with a median groove and a fixed surface texture) and real teeth: the upper and lower
   teeth strips learned from smiling photos (``emogen.face.appearance``), hung from each inner lip
   at their real size in inter-ocular distances, so the lips occlude them as the mouth closes and
   they never stretch with the opening, darkening into the cheeks' shadow towards the corners. A
   photo whose mouth is open at rest keeps its own teeth: only pixels that do not come from its
   open mouth are painted. A closing eye gets lid skin blended from the skin just above and below
   it, and a lash line. Both masks are anti-aliased and feathered.
4. Expression appearance (``emogen.face.appearance``): before the warp, the rest crop is shaded by
   the expression's log ratio images (the learned smile; FACS furrows, forehead lines, lid bulges),
   so shading moves with the skin.

Speed: about 6 ms per 512 x 512 frame on one core (median, measured on a busy 2-core machine)
before the expression appearance and the teeth strips were added; they add an ``exp`` over the
shaded box and two small remaps of the mouth per frame (everything else is precomputed per face):
re-measure with ``benchmarks/talk.py`` on a quiet machine.
"""

from __future__ import annotations

import numpy as np

from . import landmarks as L
from .appearance import TEETH_COLS, TEETH_DEPTH, TEETH_ROWS, Appearance, skin_luminance
from .motion import smoothstep

N_MESH = 468  # the mesh without the 10 iris points
RING_SCALE = 1.35  # anchor ring = face oval scaled about its centre
_CAVITY = (L.LIP_CORNERS[0],) + L.UPPER_LIP_INNER[1:-1] + (L.LIP_CORNERS[1],) + L.LOWER_LIP_INNER[-2:0:-1]
_MOUTH_PAIRS = (np.array(L.UPPER_LIP_INNER[3:8]), np.array(L.LOWER_LIP_INNER[3:8]))  # central inner-lip pairs


_SHIFT = 3  # polygon vertices in 1/8 px, for anti-aliased sub-pixel edges
LOWER_TEETH_SHADE = 0.6
TONGUE = np.array([150, 70, 74], np.float32)  # RGB of a lit tongue, before the photo's exposure
TONGUE_HEIGHT = 0.12  # IOD: the most of the tongue's dome that shows above the lower lip


def _polygon_mask(poly: np.ndarray, frame_shape, pad: int, blur: int):
    """A feathered mask of ``poly`` over its bounding box grown by ``pad`` px and clipped to the
    frame: ``((x0, y0, x1, y1), float32 mask in [0, 1])``, or None when the box is too small."""
    import cv2

    x0, y0 = np.floor(poly.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int) + pad + 1
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, frame_shape[1]), min(y1, frame_shape[0])
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    pts = np.round((poly - [x0, y0]) * (1 << _SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=_SHIFT)
    return (x0, y0, x1, y1), cv2.GaussianBlur(mask, (blur, blur), 0).astype(np.float32) / 255.0


def _signed_area(v: np.ndarray) -> np.ndarray:
    """Signed areas of triangles ``(t, 3, 2)``."""
    a, b, c = v[:, 0], v[:, 1], v[:, 2]
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))


class PortraitRenderer:
    """Render frames of one portrait from target landmark positions.

    Args:
        portrait: an :class:`emogen.face.analysis.Portrait` (its ``image`` and ``landmarks`` are the
            rest state: ``render(portrait.landmarks)`` returns the crop unchanged).
        ring_scale: size of the fixed anchor ring relative to the face oval.
        paint: paint the mouth cavity and closed eyelids and apply the expression appearance
            (turn off to see the bare warp).
    """

    def __init__(self, portrait, ring_scale: float = RING_SCALE, paint: bool = True):
        import cv2
        from scipy.sparse import csr_matrix
        from scipy.spatial import Delaunay

        self.image = np.ascontiguousarray(portrait.image)
        self.rest = np.asarray(portrait.landmarks, dtype=np.float32)
        self.size = self.image.shape[0]
        self.paint = paint
        h_img, w_img = self.image.shape[:2]
        oval = self.rest[list(L.FACE_OVAL)].astype(np.float64)
        centre = oval.mean(axis=0)
        ring = centre + (oval - centre) * ring_scale
        ring = np.clip(ring, 0, [w_img - 1, h_img - 1])
        border = np.array([(x, y) for x in np.linspace(0, w_img - 1, 5) for y in np.linspace(0, h_img - 1, 5)
                           if x in (0, w_img - 1) or y in (0, h_img - 1)])
        points = np.concatenate([self.rest[:N_MESH].astype(np.float64), ring, border])
        tri = Delaunay(points)
        self._tri_points = points.astype(np.float32)
        self._simplices = tri.simplices
        self._rest_area = _signed_area(points[tri.simplices])
        self._rest_area[np.abs(self._rest_area) < 1e-6] = 1e-6

        x0, y0 = np.floor(ring.min(axis=0)).astype(int)
        x1, y1 = np.ceil(ring.max(axis=0)).astype(int) + 1
        self.roi = (int(x0), int(y0), int(min(x1, w_img)), int(min(y1, h_img)))
        x0, y0, x1, y1 = self.roi
        gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        pix = np.stack([gx, gy], axis=-1).reshape(-1, 2).astype(np.float64)  # absolute pixel coordinates
        self._grid = np.stack([gx - x0, gy - y0], axis=-1)  # (h, w, 2) coordinates within the ROI
        simplex = tri.find_simplex(pix)
        inside = simplex >= 0
        t = tri.transform[simplex]
        b = np.einsum("nij,nj->ni", t[:, :2], pix - t[:, 2])
        bary = np.concatenate([b, 1 - b.sum(axis=1, keepdims=True)], axis=1)
        vertices = tri.simplices[simplex]
        keep = inside[:, None] & (vertices < N_MESH)  # anchors never move: drop their columns
        rows = np.repeat(np.arange(len(pix)), 3).reshape(-1, 3)
        self._W = csr_matrix((bary[keep].astype(np.float32), (rows[keep], vertices[keep])),
                             shape=(len(pix), N_MESH))
        self._roi_image = np.ascontiguousarray(self.image[y0:y1, x0:x1])
        self._eyes = [self._eye_skin(L.RIGHT_UPPER_LID), self._eye_skin(L.LEFT_UPPER_LID)]
        self._rest_mouth_gap = self._mouth_gap(self.rest)
        self._rest_interior = self._interior()
        # the tongue's surface texture (papillae), fixed per renderer: (32, 48) relative brightness
        grain = np.random.default_rng(0).normal(0.0, 1.0, (32, 48)).astype(np.float32)
        grain = cv2.GaussianBlur(grain, (0, 0), 0.8)
        self._tongue_texture = (0.07 * grain / grain.std()).astype(np.float32)
        # the painted cavity follows the photo's exposure (the teeth follow its skin: Appearance)
        self._light = float(np.clip(skin_luminance(self.image, self.rest) / 160.0, 0.55, 1.1))
        self._iod = L.inter_ocular_distance(self.rest)
        self.appearance = Appearance(self.rest, self.roi, self.image) if paint else None

    # ------------------------------------------------------------------ warp
    def displacement(self, target: np.ndarray) -> np.ndarray:
        """The forward displacement field over the ROI, ``(h, w, 2)`` float32 pixels."""
        delta = np.asarray(target, dtype=np.float32)[:N_MESH] - self.rest[:N_MESH]
        return np.asarray(self._W @ delta, dtype=np.float32).reshape(self._grid.shape)

    def render(self, target: np.ndarray, appearance: np.ndarray | None = None,
               new_mouth: float = 0.0) -> np.ndarray:
        """One frame.

        Args:
            target: ``(478, 2)`` target landmark positions in crop pixels.
            appearance: weights of ``Appearance.CHANNELS`` (the expression's action units), or None.
            new_mouth: 0..1, how far the mouth of ``target`` is a new one (a jaw drop): as far, its
                whole opening is painted, the inside of a photo whose lips part at rest included.
        Returns:
            ``(S, S, 3)`` uint8 RGB frame.
        """
        import cv2

        target = np.asarray(target, dtype=np.float32)
        if target.shape != (L.N_LANDMARKS, 2):
            raise ValueError(f"target landmarks must be (478, 2), got {target.shape}")
        out = self.image.copy()
        delta = target[:N_MESH] - self.rest[:N_MESH]
        source = self._roi_image
        if appearance is not None and self.appearance is not None:
            source = self.appearance.apply(source, appearance)
        x0, y0, x1, y1 = self.roi
        if not np.any(delta):
            out[y0:y1, x0:x1] = source
            return out
        d = self.displacement(target)
        m = self._grid - d  # first-order inverse: p0 = x - d(x), in ROI coordinates
        for _ in range(2):  # fixed point p = x - d(p), d sampled at the current estimate
            previous = m
            m = self._grid - cv2.remap(d, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self._exact_where_torn(m, previous, target)
        # d is zero on the ring and beyond, so every source point lies inside the ROI
        out[y0:y1, x0:x1] = cv2.remap(source, m, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if self.paint:
            self._paint_eyes(out, target)
            self._paint_mouth(out, target, m, new_mouth)
        return out

    __call__ = render

    def _exact_where_torn(self, m: np.ndarray, previous: np.ndarray, target: np.ndarray) -> None:
        """Fix, in place, the pixels where the fixed point has not settled.

        It settles wherever the warp is gentle; it cannot where a slit opens from almost nothing
        (lips parting, a lid lifting: the field's slope passes 1). Those pixels are mapped exactly
        through the triangle that holds them in the TARGET mesh, searched among the triangles whose
        area changed a lot.
        """
        rest_v = self._tri_points[self._simplices]  # (t, 3, 2) absolute pixels
        pts = self._tri_points.copy()
        pts[:N_MESH] = target[:N_MESH]
        target_v = pts[self._simplices]
        ratio = _signed_area(target_v) / self._rest_area
        cand = np.flatnonzero((ratio > 1.4) | ((ratio > 0) & (ratio < 0.7)))  # flipped ones would mirror
        if len(cand) == 0:
            return
        import cv2

        # only pixels inside the candidates' bounding box can be fixed: work there alone
        x0, y0 = self.roi[:2]
        tv_all = target_v[cand] - np.array([x0, y0], np.float32)  # ROI coordinates
        bx0, by0 = np.maximum(np.floor(tv_all.reshape(-1, 2).min(axis=0)).astype(int), 0)
        bx1, by1 = np.minimum(np.ceil(tv_all.reshape(-1, 2).max(axis=0)).astype(int) + 1, m.shape[1::-1])
        if bx1 <= bx0 or by1 <= by0:
            return
        step = m[by0:by1, bx0:bx1] - previous[by0:by1, bx0:bx1]
        moved = (step[..., 0] ** 2 + step[..., 1] ** 2) > 0.09  # moved > 0.3 px in the last step
        if not moved.any():
            return
        # which candidate triangle holds each pixel: rasterise them into an index map (few, small)
        index = np.full(moved.shape, -1, np.int32)
        shift = 2
        corners = np.round((tv_all - [bx0, by0]) * (1 << shift)).astype(np.int32)
        for j, poly in enumerate(corners):
            cv2.fillConvexPoly(index, poly, j, lineType=cv2.LINE_8, shift=shift)
        ys, xs = np.nonzero(moved & (index >= 0))
        if len(ys) == 0:
            return
        k = index[ys, xs]
        tv = tv_all[k].astype(np.float64)  # (n, 3, 2) in ROI coordinates
        rv = (rest_v[cand][k] - np.array([x0, y0], np.float32)).astype(np.float64)
        e0, e1 = tv[:, 0] - tv[:, 2], tv[:, 1] - tv[:, 2]
        det = e0[:, 0] * e1[:, 1] - e1[:, 0] * e0[:, 1]
        good = np.abs(det) > 1e-6
        ys, xs = ys + by0, xs + bx0
        rel = self._grid[ys, xs].astype(np.float64) - tv[:, 2]
        safe = np.where(good, det, 1.0)
        b0 = (rel[:, 0] * e1[:, 1] - e1[:, 0] * rel[:, 1]) / safe
        b1 = (e0[:, 0] * rel[:, 1] - rel[:, 0] * e0[:, 1]) / safe
        bary = np.stack([b0, b1, 1 - b0 - b1], axis=-1)
        src = np.einsum("ni,nij->nj", bary, rv)
        m[ys[good], xs[good]] = src[good].astype(np.float32)

    # ------------------------------------------------------------------ mouth
    @staticmethod
    def _mouth_gap(lm: np.ndarray) -> float:
        upper, lower = _MOUTH_PAIRS
        return float(np.mean(lm[lower, 1] - lm[upper, 1]))

    def _paint_mouth(self, out: np.ndarray, target: np.ndarray, source_map: np.ndarray,
                     new_mouth: float = 0.0) -> None:
        """Paint the opened mouth; ``source_map`` ((h, w, 2) ROI coordinates) is where each output
        pixel was sampled from: pixels that come from the photo's own open mouth (teeth shown at
        rest) keep them, only the newly opened part is painted; as far as ``new_mouth`` (0..1), the
        whole opening is painted (see :meth:`render`)."""
        gap = self._mouth_gap(target)
        opening = gap - max(self._rest_mouth_gap, 0.0) * (1.0 - new_mouth)
        alpha = float(smoothstep((opening - 0.5) / 3.0))
        if alpha <= 0:
            return
        # the inner-lip outline, but reaching out to the outer corners: where the lips part near the
        # corners the stretched slivers between inner and outer corner are shadow, not skin
        poly = target[list(_CAVITY)]
        box = _polygon_mask(poly, out.shape, pad=2, blur=3)
        if box is None:
            return
        (x0, y0, x1, y1), mask = box

        import cv2

        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        left, right = target[L.LIP_CORNERS[0]], target[L.LIP_CORNERS[1]]
        cx = (left[0] + right[0]) / 2
        half_w = max(abs(right[0] - left[0]) / 2, 1.0)
        upper = target[list(L.UPPER_LIP_INNER)]
        lower = target[list(L.LOWER_LIP_INNER)]
        order_u, order_l = np.argsort(upper[:, 0]), np.argsort(lower[:, 0])
        top = np.interp(xx[0], upper[order_u, 0], upper[order_u, 1])[None, :]  # upper lip edge per column
        bottom = np.interp(xx[0], lower[order_l, 0], lower[order_l, 1])[None, :]
        span = np.maximum(bottom - top, 1.0)
        v = (yy - top) / span  # 0 at the upper lip, 1 at the lower lip
        u = np.abs(xx - cx) / half_w  # 0 in the middle, 1 at the corners

        # cavity: darkest at the back (centre), warmer towards the lips
        r = np.clip(np.sqrt(u ** 2 + (2 * v - 1) ** 2), 0, 1)[..., None]
        back, front = np.array([22, 8, 10], np.float32), np.array([64, 26, 28], np.float32)
        colour = back * (1 - r ** 2) + front * r ** 2
        # the tongue: a dome on the floor of the mouth, sized from the face (at most TONGUE_HEIGHT IOD
        # of it shows above the lower lip, less in a small opening), lit on its top, with a median
        # groove and a fixed surface texture in face units, so it reads the same in every frame
        iod = max(self._iod, 1.0)
        rise = np.minimum(0.45 * span, TONGUE_HEIGHT * iod) * np.clip(1 - (u / 0.85) ** 2, 0, 1)
        surface = bottom - rise  # the tongue's top edge per column
        tongue = smoothstep((yy - surface) / 2.0 + 0.5) * smoothstep((0.85 - u) / 0.2) * (rise > 0.5)
        below = np.clip((yy - surface) / np.maximum(rise, 1.0), 0, 1)  # 0 on its top edge, 1 at the lip
        lit = 1.15 - 0.35 * below - 0.2 * np.exp(-0.5 * ((xx - cx) / (0.03 * iod)) ** 2) * (1 - below)
        tx = ((xx - cx) / iod / 1.2 + 0.5) * self._tongue_texture.shape[1]
        ty = ((yy - bottom) / iod / 0.4 + 1.0) * self._tongue_texture.shape[0]
        grain = cv2.remap(self._tongue_texture, tx.astype(np.float32), ty.astype(np.float32), cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)
        shade = (lit * (1 + grain) * (0.55 + 0.45 * smoothstep((0.85 - u) / 0.5)))[..., None]
        colour = colour * (1 - tongue[..., None]) + TONGUE * shade * tongue[..., None]
        colour = colour * self._light

        # teeth: the learned strips hung from each inner lip at their real size (TEETH_DEPTH IOD
        # deep), so an opening mouth uncovers them and a closing one hides them behind the lips;
        # where the strips overlap (a small opening) the nearer lip's teeth show; towards the
        # corners they turn away into the cheeks' shadow (the buccal corridor) and end there
        inner_l, inner_r = target[L.UPPER_LIP_INNER[0], 0], target[L.UPPER_LIP_INNER[-1], 0]
        cols = ((xx - inner_l) / max(inner_r - inner_l, 1.0) * TEETH_COLS - 0.5).astype(np.float32)
        per_row = (TEETH_ROWS - 1) / (TEETH_DEPTH * iod)
        dy_top, dy_bottom = yy - top, bottom - yy
        upper_teeth = cv2.remap(self.appearance.teeth_upper, cols, (dy_top * per_row).astype(np.float32), cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
        lower_teeth = cv2.remap(self.appearance.teeth_lower, cols, (dy_bottom * per_row).astype(np.float32),
                                cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        depth = TEETH_DEPTH * iod
        fade = 0.25 * depth
        side = smoothstep((0.95 - u) / 0.3)
        corridor = (0.45 + 0.55 * smoothstep((0.9 - u) / 0.5))[..., None]
        up = side * smoothstep((0.75 * depth - dy_top) / fade) * smoothstep((dy_bottom - dy_top) / 2.0 + 0.5)
        # the lower teeth sit lower, behind the lower lip and in the upper jaw's shadow: less of them
        # shows, darker (bright lower teeth read as bared teeth: anger, not speech or surprise)
        low = side * LOWER_TEETH_SHADE * smoothstep((0.3 * depth - dy_bottom) / fade) * (1 - up)
        colour = colour * (1 - up - low)[..., None] + (upper_teeth * up[..., None] + lower_teeth * low[..., None]) * corridor

        a = alpha * mask
        if self._rest_interior is not None:
            rx, ry = self.roi[:2]
            inside = cv2.remap(self._rest_interior, source_map[y0 - ry:y1 - ry, x0 - rx:x1 - rx], None,
                               cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            a = a * (1 - inside * (1.0 - new_mouth))
        a = a[..., None]
        region = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = np.clip(region * (1 - a) + colour * a + 0.5, 0, 255).astype(np.uint8)

    def _interior(self) -> np.ndarray | None:
        """Where the photo's own mouth is open (its inner-lip outline, shrunk 1 px and feathered)
        over the ROI, float32 in [0, 1]; None when the lips meet at rest."""
        import cv2

        if self._rest_mouth_gap < 1.5:
            return None
        x0, y0, x1, y1 = self.roi
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        pts = np.round((self.rest[list(_CAVITY)] - [x0, y0]) * (1 << _SHIFT)).astype(np.int32)
        cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=_SHIFT)
        mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
        return cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32) / 255.0

    # ------------------------------------------------------------------ eyes
    def _eye_skin(self, upper_lid: tuple[int, ...]) -> np.ndarray:
        """Median colour of the lid skin just above one eye in the rest crop, float32 RGB."""
        iod = L.inter_ocular_distance(self.rest)
        lid = self.rest[list(upper_lid)]
        samples = []
        for k in np.linspace(0.05, 0.12, 4):
            pts = np.round(lid - [0, k * iod]).astype(int)
            pts = np.clip(pts, 0, self.size - 1)
            samples.append(self.image[pts[:, 1], pts[:, 0]])
        return np.median(np.concatenate(samples), axis=0).astype(np.float32)

    def _paint_eyes(self, out: np.ndarray, target: np.ndarray) -> None:
        import cv2

        for skin, upper, lower, contour in ((self._eyes[0], L.RIGHT_UPPER_LID, L.RIGHT_LOWER_LID, L.RIGHT_EYE),
                                            (self._eyes[1], L.LEFT_UPPER_LID, L.LEFT_LOWER_LID, L.LEFT_EYE)):
            rest_gap = float(np.mean(self.rest[list(lower), 1] - self.rest[list(upper), 1]))
            gap = float(np.mean(target[list(lower), 1] - target[list(upper), 1]))
            if rest_gap <= 0.5:
                continue
            closed = float(smoothstep((0.6 - gap / rest_gap) / 0.45))  # starts at 60% open, full near 15%
            if closed <= 0:
                continue
            # the open eye's outline: the lid has to cover all of it, not just the narrowed slit
            poly = self.rest[list(contour)] + (target[list(lower)].mean(axis=0) - self.rest[list(lower)].mean(axis=0))
            box = _polygon_mask(poly, out.shape, pad=4, blur=5)
            if box is None:
                continue
            (x0, y0, x1, y1), mask = box
            # the closed lid: per column, blend from the (warped) skin just above the eye down to the
            # skin just below it, so the patch meets its surroundings without a seam
            gy = np.arange(y0, y1, dtype=np.float32)[:, None]
            cols = np.arange(x0, x1, dtype=np.float32)
            top_pts = np.concatenate([poly[:len(upper) + 2]])  # outer corner, upper lid, inner corner
            bottom_pts = np.concatenate([poly[:1], poly[len(upper) + 1:]])  # corners and lower lid
            top = np.interp(cols, *top_pts[np.argsort(top_pts[:, 0])].T) - 2
            bottom = np.interp(cols, *bottom_pts[np.argsort(bottom_pts[:, 0])].T) + 2
            ti = np.clip(np.round(top).astype(int), 0, out.shape[0] - 1)
            bi = np.clip(np.round(bottom).astype(int), 0, out.shape[0] - 1)
            xi = np.arange(x0, x1)
            above = cv2.blur(out[ti, xi][None].astype(np.float32), (7, 1))[0]
            below = cv2.blur(out[bi, xi][None].astype(np.float32), (7, 1))[0]
            t = np.clip((gy - top) / np.maximum(bottom - top, 1.0), 0, 1)[..., None]
            lid = above[None] * (1 - t) + below[None] * t
            lid = 0.85 * lid + 0.15 * skin
            fold = 1.0 - 0.08 * smoothstep((gy - poly[:, 1].min()) / max(np.ptp(poly[:, 1]), 1.0))[..., None]
            lash = np.zeros(mask.shape, np.uint8)
            line = np.round((target[[contour[0]] + list(lower) + [contour[len(upper) + 1]]] - [x0, y0])
                            * (1 << _SHIFT)).astype(np.int32)
            cv2.polylines(lash, [line], False, 255, thickness=2, lineType=cv2.LINE_AA, shift=_SHIFT)
            lash = cv2.GaussianBlur(lash, (3, 3), 0).astype(np.float32)[..., None] / 255.0 * 0.75
            colour = lid * fold * (1 - lash) + lid * 0.35 * lash
            a = (closed * mask)[..., None]
            region = out[y0:y1, x0:x1].astype(np.float32)
            out[y0:y1, x0:x1] = np.clip(region * (1 - a) + colour * a + 0.5, 0, 255).astype(np.uint8)
