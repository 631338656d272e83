//! The course pictures on the paper map: each SVG drawn by resvg at print resolution, with the
//! map's own DejaVu fonts for its text (no system fonts, so a picture prints the same on every
//! machine). Two exercises ask the reader to look at a picture; on paper it has to be there too.
//!
//! A picture is drawn once per process and kept (compressed): the map is rendered per request,
//! in each employee's order, from the same few pictures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use resvg::{tiny_skia, usvg};
use sha2::{Digest, Sha256};

/// Pixels across: about 220 dpi at the width the map prints a picture.
pub const WIDTH_PX: u32 = 1200;
/// Pixels down at most: a tall picture is printed narrower (at most 120 mm high), so it needs no
/// more; without a bound a tall, narrow drawing would ask for any amount of memory.
const HEIGHT_PX: u32 = 1600;

/// A picture ready for the PDF: 8-bit RGB on white, zlib-compressed.
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub rgb_deflated: Vec<u8>,
}

impl Raster {
    /// Height over width, for the layout.
    pub fn aspect(&self) -> f32 {
        self.height as f32 / self.width as f32
    }
}

type Cache = Mutex<HashMap<[u8; 32], Option<Arc<Raster>>>>;

/// The picture drawn from `svg` (from the cache after the first time); `None` for an SVG that
/// cannot be read, which the map then describes in words only.
pub fn raster(svg: &str, regular: &[u8], bold: &[u8]) -> Option<Arc<Raster>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key: [u8; 32] = Sha256::digest(svg.as_bytes()).into();
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    // Drawn outside the lock: two requests at once may both draw it; the first one kept is the
    // one both use, so that a map embeds each picture once.
    let drawn = draw(svg, regular, bold).map(Arc::new);
    if drawn.is_none() {
        tracing::warn!("a course picture could not be drawn for the PDF map; it is described in words only");
    }
    cache.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_insert(drawn).clone()
}

fn draw(svg: &str, regular: &[u8], bold: &[u8]) -> Option<Raster> {
    let mut options = usvg::Options { font_family: "DejaVu Sans".into(), ..usvg::Options::default() };
    let fonts = options.fontdb_mut();
    fonts.load_font_data(regular.to_vec());
    fonts.load_font_data(bold.to_vec());
    // "Arial, Helvetica, sans-serif" in the pictures: the first two are not there.
    fonts.set_sans_serif_family("DejaVu Sans");
    let tree = usvg::Tree::from_str(svg, &options).ok()?;
    let size = tree.size();
    let scale = (WIDTH_PX as f32 / size.width()).min(HEIGHT_PX as f32 / size.height());
    let width = (size.width() * scale).round().max(1.0) as u32;
    let height = (size.height() * scale).round().max(1.0) as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    // Premultiplied RGBA on a white page: each channel plus the white that shows through.
    let rgb: Vec<u8> =
        pixmap.data().chunks_exact(4).flat_map(|p| [0, 1, 2].map(|i| p[i].saturating_add(255 - p[3]))).collect();
    Some(Raster { width, height, rgb_deflated: miniz_oxide::deflate::compress_to_vec_zlib(&rgb, 6) })
}

#[cfg(test)]
mod tests {
    use super::raster;

    const REGULAR: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DejaVuSans.ttf"));
    const BOLD: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DejaVuSans-Bold.ttf"));

    fn pixels(svg: &str) -> (u32, u32, Vec<u8>) {
        let r = raster(svg, REGULAR, BOLD).expect("drawn");
        (r.width, r.height, miniz_oxide::inflate::decompress_to_vec_zlib(&r.rgb_deflated).unwrap())
    }

    #[test]
    fn draws_shapes_and_text_at_print_width() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" width="200" height="100">
            <rect x="0" y="0" width="100" height="100" fill="#ff0000"/>
            <text x="150" y="60" font-family="Arial, sans-serif" font-size="40" text-anchor="middle">Ja</text>
        </svg>"##;
        let (w, h, rgb) = pixels(svg);
        assert_eq!((w, h), (1200, 600));
        assert_eq!(rgb.len(), (w * h * 3) as usize);
        let at = |x: u32, y: u32| {
            let i = ((y * w + x) * 3) as usize;
            [rgb[i], rgb[i + 1], rgb[i + 2]]
        };
        assert_eq!(at(300, 300), [255, 0, 0], "the red square");
        assert_eq!(at(1190, 10), [255, 255, 255], "transparent is white paper");
        // The text is drawn with the map's font: dark pixels in the right half.
        let dark = (600..1200).flat_map(|x| (0..600).map(move |y| (x, y))).filter(|&(x, y)| at(x, y)[0] < 100).count();
        assert!(dark > 1000, "text drawn: {dark} dark pixels");
    }

    #[test]
    fn every_course_picture_draws() {
        let courses = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("course-content/courses");
        let mut count = 0;
        for course in std::fs::read_dir(courses).unwrap() {
            let Ok(images) = std::fs::read_dir(course.unwrap().path().join("images")) else { continue };
            for file in images {
                let path = file.unwrap().path();
                let (w, h, rgb) = pixels(&std::fs::read_to_string(&path).unwrap());
                assert!(w == 1200 && h > 300 && h <= 1600, "{path:?}: {w}x{h}");
                // Text and outlines in dark ink, not a blank page.
                let dark = rgb.chunks_exact(3).filter(|p| p.iter().all(|&c| c < 120)).count();
                assert!(dark > 2000, "{path:?}: {dark} dark pixels");
                count += 1;
            }
        }
        assert!(count >= 9, "{count} pictures");
    }

    #[test]
    fn a_tall_picture_is_drawn_no_higher_than_it_prints() {
        let svg =
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 1000"><rect width="10" height="1000"/></svg>"#;
        let (w, h, _) = pixels(svg);
        assert_eq!((w, h), (16, 1600));
    }

    #[test]
    fn an_unreadable_picture_is_none_and_the_same_picture_is_drawn_once() {
        assert!(raster("<svg", REGULAR, BOLD).is_none());
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>"#;
        let first = raster(svg, REGULAR, BOLD).unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &raster(svg, REGULAR, BOLD).unwrap()));
    }
}
