"""Sinusoid geometry of planes cutting a borehole.

Conventions (docs/conventions.md): depth is measured depth in metres, positive down;
azimuth is in degrees clockwise from image column 0, circular in [0, 360); the dip
azimuth is the azimuth of the deepest point of the trace. A plane with centre-line depth
z0, dip d and dip azimuth a cuts a hole of radius r along

    z(phi) = z0 + r tan(d) cos(phi - a).

For deviated holes the image frame is the borehole frame: its axis points down-hole and
column 0 is the high side (top of hole), which for a vertical hole with hole azimuth 0 is
north. True (geographic) orientation follows by rotating by the inclination, then by the
hole azimuth.
"""

from __future__ import annotations

import numpy as np


def wrap_azimuth_deg(azimuth_deg):
    """Map azimuths onto [0, 360) (np.mod alone returns 360.0 for tiny negatives)."""
    wrapped = np.mod(azimuth_deg, 360.0)
    return np.where(wrapped >= 360.0, 0.0, wrapped)


def azimuth_difference_deg(a_deg, b_deg):
    """Smallest absolute circular difference between two azimuths, in [0, 180]."""
    d = np.mod(np.asarray(a_deg) - np.asarray(b_deg), 360.0)
    return np.minimum(d, 360.0 - d)


def trace_depth_m(depth_m, dip_deg, azimuth_deg, radius_m, phi_deg):
    """Depth of the trace at hole azimuth phi (broadcasts over all arguments)."""
    amplitude_m = np.asarray(radius_m) * np.tan(np.radians(dip_deg))
    return np.asarray(depth_m) + amplitude_m * np.cos(np.radians(np.asarray(phi_deg) - azimuth_deg))


def amplitude_m(dip_deg, radius_m):
    """Half peak-to-trough height of the trace."""
    return np.asarray(radius_m) * np.tan(np.radians(dip_deg))


def dip_from_amplitude_deg(amplitude_m_, radius_m):
    return np.degrees(np.arctan2(np.abs(amplitude_m_), radius_m))


def fit_sinusoid(phi_deg, z_m, radius_m):
    """Least-squares sinusoid through points (phi, z): returns (depth_m, dip_deg, azimuth_deg).

    Linear in (z0, A, B) for z = z0 + A cos(phi) + B sin(phi); needs >= 3 distinct azimuths.
    """
    if np.unique(wrap_azimuth_deg(np.asarray(phi_deg, dtype=float))).size < 3:
        raise ValueError("fitting a sinusoid needs points at 3 or more distinct azimuths")
    phi = np.radians(np.asarray(phi_deg, dtype=float))
    z = np.asarray(z_m, dtype=float)
    design = np.stack([np.ones_like(phi), np.cos(phi), np.sin(phi)], axis=1)
    (z0, a, b), *_ = np.linalg.lstsq(design, z, rcond=None)
    amp = np.hypot(a, b)
    return float(z0), float(dip_from_amplitude_deg(amp, radius_m)), float(wrap_azimuth_deg(np.degrees(np.arctan2(b, a))))


def _borehole_to_world(inclination_deg, hole_azimuth_deg):
    """Rotation matrices (..., 3, 3) taking borehole-frame vectors to north-east-down."""
    inc = np.radians(np.asarray(inclination_deg, dtype=float))
    azi = np.radians(np.asarray(hole_azimuth_deg, dtype=float))
    ci, si, ca, sa = np.cos(inc), np.sin(inc), np.cos(azi), np.sin(azi)
    zero, one = np.zeros_like(ci * ca), np.ones_like(ci * ca)
    rot_z = np.stack([np.stack([ca, -sa, zero], -1), np.stack([sa, ca, zero], -1),
                      np.stack([zero, zero, one], -1)], -2)
    rot_y = np.stack([np.stack([ci, zero, si], -1), np.stack([zero, one, zero], -1),
                      np.stack([-si, zero, ci], -1)], -2)
    return rot_z @ rot_y


def _normal_from_dip(dip_deg, azimuth_deg):
    d, a = np.radians(dip_deg), np.radians(azimuth_deg)
    return np.stack([-np.sin(d) * np.cos(a), -np.sin(d) * np.sin(a), np.cos(d) * np.ones_like(a)], -1)


def _dip_from_normal(normal):
    normal = np.where(normal[..., 2:3] < 0, -normal, normal)  # the downward-facing normal
    # atan2, not arccos of the vertical component: arccos loses half the digits near a flat plane
    dip = np.degrees(np.arctan2(np.hypot(normal[..., 0], normal[..., 1]), normal[..., 2]))
    azimuth = wrap_azimuth_deg(np.degrees(np.arctan2(-normal[..., 1], -normal[..., 0])))
    return dip, azimuth


def plane_angle_deg(dip_a_deg, azimuth_a_deg, dip_b_deg, azimuth_b_deg):
    """Angle between two planes (between their normals, 0-90 deg); broadcasts like numpy.
    atan2 of the cross and dot products, not arccos of the dot: exact near 0 (equal planes give 0)."""
    a = _normal_from_dip(np.asarray(dip_a_deg, float), np.asarray(azimuth_a_deg, float))
    b = _normal_from_dip(np.asarray(dip_b_deg, float), np.asarray(azimuth_b_deg, float))
    a, b = np.broadcast_arrays(a, b)
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.abs(np.sum(a * b, -1))))


def apparent_to_true(dip_deg, azimuth_deg, inclination_deg, hole_azimuth_deg):
    """Apparent (borehole-frame) dip/azimuth -> true (geographic) dip/azimuth, degrees."""
    normal = _normal_from_dip(np.asarray(dip_deg, float), np.asarray(azimuth_deg, float))
    rot = _borehole_to_world(inclination_deg, hole_azimuth_deg)
    return _dip_from_normal(np.einsum("...ij,...j->...i", rot, normal))


def true_to_apparent(dip_deg, azimuth_deg, inclination_deg, hole_azimuth_deg):
    """True (geographic) dip/azimuth -> apparent (borehole-frame) dip/azimuth, degrees."""
    normal = _normal_from_dip(np.asarray(dip_deg, float), np.asarray(azimuth_deg, float))
    rot = _borehole_to_world(inclination_deg, hole_azimuth_deg)
    return _dip_from_normal(np.einsum("...ji,...j->...i", rot, normal))
