//! `OfferPool`: what is left of one offer while tasks are placed on it.
//! Resources are handed out as offered (role, allocation info and
//! reservations copied), split across entries when an offer holds the same
//! resource for several roles, as Mesos requires of LAUNCH operations.

use rmesos_common::wire::v1::{Offer, Resource, value};

/// The scalar resources of one offer that are not yet used.
#[derive(Debug, Clone)]
pub struct OfferPool {
    entries: Vec<Resource>,
}

impl OfferPool {
    pub fn new(offer: &Offer) -> OfferPool {
        let entries = offer
            .resources
            .iter()
            .filter(|r| r.r#type == value::Type::Scalar as i32 && r.scalar.is_some())
            .cloned()
            .collect();
        OfferPool { entries }
    }

    /// The amount left of resource `name`.
    pub fn available(&self, name: &str) -> f64 {
        self.entries
            .iter()
            .filter(|r| r.name == name)
            .map(amount)
            .sum()
    }

    /// Whether every `(name, amount)` fits.
    pub fn fits(&self, wants: &[(&str, f64)]) -> bool {
        wants
            .iter()
            .all(|(name, want)| self.available(name) + 1e-9 >= *want)
    }

    /// Takes `(name, amount)`s, all or nothing; returns the resources to
    /// put in a TaskInfo or ExecutorInfo.
    pub fn take(&mut self, wants: &[(&str, f64)]) -> Option<Vec<Resource>> {
        if !self.fits(wants) {
            return None;
        }
        let mut taken = Vec::new();
        for (name, want) in wants {
            let mut left = *want;
            for entry in self.entries.iter_mut().filter(|r| r.name == *name) {
                if left <= 1e-9 {
                    break;
                }
                let part = amount(entry).min(left);
                if part <= 0.0 {
                    continue;
                }
                set_amount(entry, amount(entry) - part);
                let mut piece = entry.clone();
                set_amount(&mut piece, round(part));
                taken.push(piece);
                left -= part;
            }
        }
        Some(taken)
    }
}

fn amount(resource: &Resource) -> f64 {
    resource.scalar.as_ref().map_or(0.0, |s| s.value)
}

fn set_amount(resource: &mut Resource, value: f64) {
    resource.scalar = Some(value::Scalar {
        value: round(value.max(0.0)),
    });
}

/// Mesos keeps scalars to three decimal places.
fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmesos_common::wire::v1::resource::AllocationInfo;

    fn scalar(name: &str, value: f64, role: &str) -> Resource {
        Resource {
            name: name.into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value }),
            allocation_info: Some(AllocationInfo {
                role: Some(role.into()),
            }),
            ..Resource::default()
        }
    }

    fn offer(resources: Vec<Resource>) -> Offer {
        Offer {
            resources,
            ..Offer::default()
        }
    }

    #[test]
    fn takes_until_empty_and_keeps_roles() {
        let mut pool = OfferPool::new(&offer(vec![
            scalar("cpus", 2.0, "a"),
            scalar("mem", 256.0, "a"),
        ]));
        let first = pool.take(&[("cpus", 1.0), ("mem", 100.0)]).unwrap();
        assert_eq!(first.len(), 2);
        assert!(
            first
                .iter()
                .all(|r| r.allocation_info.as_ref().unwrap().role.as_deref() == Some("a"))
        );
        assert!(pool.take(&[("cpus", 1.0), ("mem", 100.0)]).is_some());
        assert!(pool.take(&[("cpus", 0.1), ("mem", 100.0)]).is_none());
        assert!((pool.available("mem") - 56.0).abs() < 1e-9);
    }

    #[test]
    fn splits_one_resource_across_roles() {
        let mut pool = OfferPool::new(&offer(vec![
            scalar("cpus", 0.5, "a"),
            scalar("cpus", 1.0, "b"),
        ]));
        let taken = pool.take(&[("cpus", 1.0)]).unwrap();
        let parts: Vec<f64> = taken.iter().map(amount).collect();
        assert_eq!(parts, vec![0.5, 0.5]);
        assert!((pool.available("cpus") - 0.5).abs() < 1e-9);
    }
}
